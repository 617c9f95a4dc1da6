import path from 'node:path';
import t from 'tap';
import { cmpRoot } from '../../plugin/src/locate-root.js';

t.test('the repository root inside the cmp-server work dir', async (t) => {
  const w = path.join(path.sep, 'tmp', '_cmp_server', '7e1c');
  t.equal(
    cmpRoot(path.join(w, 'ml/releases/churn'), 'ml/releases/churn'),
    w,
    'the whole repository was sent',
  );
  t.equal(
    cmpRoot(path.join(w, 'churn'), 'ml/releases/churn'),
    w,
    'only the manifest-generate-paths root was sent',
  );
  t.equal(
    cmpRoot(path.join(w, 'releases/churn'), './ml/releases/churn/'),
    w,
    'leading ./ and trailing / are ignored',
  );
  t.equal(
    cmpRoot(path.join(w, 'other'), 'ml/releases/churn'),
    path.join(w, 'other'),
    'no match: the app folder itself',
  );
  t.equal(
    cmpRoot(path.join(w, 'a'), undefined),
    path.join(w, 'a'),
    'outside Argo CD without a source path',
  );
  t.equal(
    cmpRoot(path.join(w, 'a'), '../a'),
    path.join(w, 'a'),
    'a source path with .. is not trusted',
  );
});
