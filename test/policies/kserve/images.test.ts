import t from 'tap';
import { containerImages } from '../../../policies/src/kserve/images.js';

const paths = (spec: Record<string, unknown>) => {
  const r = containerImages({ spec });
  return {
    images: r.images.map((i) => `${i.path}=${i.ref}`),
    problems: r.problems.map((p) => `${p.code}@${p.path}`),
  };
};

t.test('every image a pod pulls is found', async (t) => {
  const r = paths({
    predictor: {
      model: { image: 'a' },
      initContainers: [{ image: 'b' }],
      containers: [{ name: 'kserve-container', image: 'c' }],
      ephemeralContainers: [{ image: 'd' }],
      workerSpec: { containers: [{ image: 'e' }] },
      volumes: [
        { name: 'v', image: { reference: 'f' } },
        { name: 'ceph', rbd: { image: 'not-a-container-image' } },
      ],
    },
    transformer: { containers: [{ image: 'g' }] },
    explainer: { art: { image: 'h' } },
    canary: [{ predictor: { sklearn: { image: 'i' } } }],
  });
  t.same(r.images.sort(), [
    'spec.canary[0].predictor.sklearn.image=i',
    'spec.explainer.art.image=h',
    'spec.predictor.containers[0].image=c',
    'spec.predictor.ephemeralContainers[0].image=d',
    'spec.predictor.initContainers[0].image=b',
    'spec.predictor.model.image=a',
    'spec.predictor.volumes[0].image.reference=f',
    'spec.predictor.workerSpec.containers[0].image=e',
    'spec.transformer.containers[0].image=g',
  ]);
  t.same(r.problems, []);
});

t.test('serving runtimes list their containers and worker containers', async (t) => {
  t.same(
    paths({ containers: [{ image: 'a' }], workerSpec: { containers: [{ image: 'b' }] } }).images,
    ['spec.containers[0].image=a', 'spec.workerSpec.containers[0].image=b'],
  );
});

t.test('an image field that is not a reference is a problem', async (t) => {
  t.same(paths({ containers: [{ image: 42 }] }).problems, [
    'IMAGE_INVALID@spec.containers[0].image',
  ]);
  t.same(paths({ volumes: [{ image: { reference: null } }] }).problems, [
    'IMAGE_INVALID@spec.volumes[0].image.reference',
  ]);
});

t.test('fields named image that hold no container image are not read', async (t) => {
  const r = paths({
    predictor: {
      labels: { image: 'not-an-image' },
      annotations: { image: 'x' },
      nodeSelector: { image: 'y' },
      model: { storage: { parameters: { image: 'z' } } },
      volumes: [{ rbd: { image: 'ceph-volume' } }],
    },
  });
  t.same(r, { images: [], problems: [] });
});

t.test('an empty image leaves the choice to the serving runtime', async (t) => {
  t.same(paths({ predictor: { model: { image: '' }, sklearn: { image: null } } }), {
    images: [],
    problems: [],
  });
});
