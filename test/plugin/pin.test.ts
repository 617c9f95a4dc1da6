import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import {
  POLICIES,
  boundDigest,
  exampleRepo,
  pinPeers,
  signModel,
  writeModel,
} from '../pin/support.js';

// Real model_signing 1.1.1 signs the folders pinned here with the example repository's release
// key, which policies/catalog/production-signatures.yaml trusts.
const { modelSigning } = pinPeers();
const work = mkdtempSync(path.join(tmpdir(), 'aviary-pin-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ci = path.join(work, 'ci');
const model = writeModel(path.join(ci, 'churn-2.2.0'), '2.2.0');
const other = writeModel(path.join(ci, 'churn-9.9.9'), '9.9.9');
const bundle = signModel(modelSigning, model, path.join(ci, 'churn-2.2.0.sigstore.json'));
const otherBundle = signModel(modelSigning, other, path.join(ci, 'other.sigstore.json'));
const DIGEST = boundDigest(bundle);
const CHURN = 'churn-canary/churn.modelrelease.yaml';
const FRAUD = 'fraud-detector/fraud-detector.modelrelease.yaml';

let n = 0;
function repo(): string {
  return exampleRepo(path.join(work, `repo-${n++}`));
}
const read = (r: string, f: string) => readFileSync(path.join(r, f), 'utf8');

function pin(r: string, file: string, ...args: string[]) {
  return runCli(
    ['pin', path.join(r, file), '--policies', POLICIES, '--namespace', 'ml-prod', ...args],
    work,
  );
}
const canary = (uri = 'gs://models-prod/churn/2.2.0') => [
  '--release',
  'churn',
  '--canary',
  '--traffic',
  '20',
  '--uri',
  uri,
];

/** Lines that differ between two texts of the same line count (pin never moves other lines). */
function changedLines(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  return y.filter((line, i) => line !== x[i]);
}

t.test(
  'a model_signing-signed folder: the digest the signature binds, only pinned fields change',
  async (t) => {
    const r = repo();
    const before = read(r, CHURN);
    const res = await pin(r, CHURN, ...canary(), '--model-dir', model, '--signature', bundle);
    t.equal(res.code, 0, res.stderr);
    const after = read(r, CHURN);
    t.match(after, `    digest: ${DIGEST}\n`, 'the root digest model_signing signed');
    t.same(changedLines(before, after), [
      '    uri: gs://models-prod/churn/2.2.0/',
      `    digest: ${DIGEST}`,
      '    signature: ../signatures/churn-2.2.0.sigstore.json',
      '    traffic: 20',
    ]);
    t.equal(after.split('\n').length, before.split('\n').length);
    t.equal(
      read(r, 'signatures/churn-2.2.0.sigstore.json'),
      readFileSync(bundle, 'utf8'),
      'copied',
    );
    t.match(res.stdout, /^pinned churn canary 20% gs:\/\/models-prod\/churn\/2\.2\.0\/ sha256:/);
    t.equal(res.stdout.split('\n').length, 2, 'one line');

    // The result renders and passes the example policies, as a new object and as the update.
    const old = path.join(r, 'churn-canary/before.yaml');
    writeFileSync(old, before);
    for (const extra of [[], ['--old', old, '--operation', 'UPDATE']]) {
      const check = await runCli(
        ['check', '--policies', POLICIES, '--namespace', 'ml-prod', ...extra, path.join(r, CHURN)],
        work,
      );
      t.equal(check.code, 0, check.stdout + check.stderr);
      t.match(check.stdout, /^ALLOWED churn .*production, production-signatures/);
    }
  },
);

t.test(
  'what model_signing signs: a single file, and a folder holding its own bundle',
  async (t) => {
    const single = path.join(ci, 'single');
    mkdirSync(single);
    const file = path.join(single, 'model.onnx');
    writeFileSync(file, 'one file model');
    const fileBundle = signModel(modelSigning, file, path.join(ci, 'single.sigstore.json'));
    const r = repo();
    const res = await pin(
      r,
      CHURN,
      ...canary('gs://models-prod/churn/2.2.0/model.onnx'),
      '--model-dir',
      file,
      '--signature',
      fileBundle,
    );
    t.equal(res.code, 0, res.stderr);
    t.match(
      read(r, CHURN),
      `    digest: ${boundDigest(fileBundle)}\n`,
      'sha256 of the file digest',
    );
    t.match(
      read(r, CHURN),
      '    uri: gs://models-prod/churn/2.2.0/model.onnx\n',
      'a file gets no slash',
    );

    // model_signing leaves out the bundle it writes inside the folder; so does pin.
    const holder = writeModel(path.join(ci, 'holder'), '3.0.0');
    const inner = signModel(modelSigning, holder, path.join(holder, 'model.sig'));
    const r2 = repo();
    const res2 = await pin(r2, CHURN, ...canary(), '--model-dir', holder, '--signature', inner);
    t.equal(res2.code, 0, res2.stderr);
    t.match(read(r2, CHURN), `    digest: ${boundDigest(inner)}\n`);
    t.match(read(r2, CHURN), '    signature: ../signatures/model.sig\n');
  },
);

t.test('a canary is added to a stable-only release, comments and layout kept', async (t) => {
  const r = repo();
  const file = path.join(r, FRAUD);
  const original = read(r, FRAUD);
  writeFileSync(file, original.replace('  stable:\n', '  stable: # serving today\n') + '# end\n');
  const before = readFileSync(file, 'utf8');
  const res = await pin(
    r,
    FRAUD,
    '--release',
    'fraud-detector',
    '--canary',
    '--traffic',
    '5',
    '--uri',
    's3://models-prod/fraud/2.0.0',
    '--model-dir',
    model,
    '--signature',
    bundle,
  );
  t.equal(res.code, 0, res.stderr);
  const after = readFileSync(file, 'utf8');
  const added = [
    '  canary:',
    '    uri: s3://models-prod/fraud/2.0.0/',
    `    digest: ${DIGEST}`,
    '    signature: ../signatures/churn-2.2.0.sigstore.json',
    '    traffic: 5',
  ].join('\n');
  t.equal(after, before.replace('# end\n', `${added}\n# end\n`));
});

t.test("--canary without --traffic starts at the rollout's first step", async (t) => {
  const r = repo();
  const file = path.join(r, FRAUD);
  // The analysis file need not exist for pin: the rollout only names the first share here.
  writeFileSync(
    file,
    read(r, FRAUD).replace(
      '  stable:\n',
      '  rollout:\n    steps: [10, 25]\n    analysis: ../analysis/errors.yaml\n  stable:\n',
    ),
  );
  const res = await pin(
    r,
    FRAUD,
    '--release',
    'fraud-detector',
    '--canary',
    '--uri',
    's3://models-prod/fraud/2.0.0',
    '--model-dir',
    model,
    '--signature',
    bundle,
  );
  t.equal(res.code, 0, res.stderr);
  t.match(read(r, FRAUD), /\n {4}traffic: 10\n/);
});

t.test('--stable: refused while a canary runs unless --force, then judged by policy', async (t) => {
  const r = repo();
  const before = read(r, CHURN);
  const args = ['--release', 'churn', '--stable', '--uri', 'gs://models-prod/churn/2.2.0'];
  const running = await pin(r, CHURN, ...args, '--model-dir', model, '--signature', bundle);
  t.equal(running.code, 2);
  t.match(running.stderr, /PIN_CANARY_RUNNING/);
  // Forced: a new artifact straight to 100 % is what production's canary rules deny.
  const forced = await pin(
    r,
    CHURN,
    ...args,
    '--force',
    '--model-dir',
    model,
    '--signature',
    bundle,
  );
  t.equal(forced.code, 1);
  t.match(forced.stderr, /PIN_DENIED .*STABLE_RECORD_UNKNOWN/);
  t.equal(read(r, CHURN), before, 'untouched');
  t.notOk(exists(path.join(r, 'signatures/churn-2.2.0.sigstore.json')), 'no bundle copied');
});

t.test('--stable: the rollback record is replaced whole, stale fields removed', async (t) => {
  const r = repo();
  const file = path.join(r, 'sentiment-rollback/sentiment.modelrelease.yaml');
  const before = readFileSync(file, 'utf8');
  // The canary was rolled back (traffic 0): pinning the stable is allowed, without a signature
  // under staging (signatures not required), so `signature:` goes.
  const res = await runCli(
    [
      'pin',
      file,
      '--policies',
      path.join(POLICIES, 'staging.yaml'),
      '--namespace',
      'ml-staging',
      '--release',
      'sentiment',
      '--stable',
      '--uri',
      'hf://acme/sentiment:0123456789abcdef0123456789abcdef01234567',
      '--digest',
      DIGEST,
    ],
    work,
  );
  t.equal(res.code, 0, res.stderr);
  const after = readFileSync(file, 'utf8');
  t.equal(
    after,
    before.replace(
      / {4}uri: hf:\/\/acme\/sentiment:4f1c[^\n]*\n {4}digest: [^\n]*\n {4}signature: [^\n]*\n/,
      `    uri: hf://acme/sentiment:0123456789abcdef0123456789abcdef01234567\n    digest: ${DIGEST}\n`,
    ),
  );
  t.not(after, before);
});

t.test('bad input: a code, a non-zero exit, the file untouched', async (t) => {
  const outside = path.join(work, 'outside.bin');
  writeFileSync(outside, 'secret');
  const linked = writeModel(path.join(ci, 'linked'), '1');
  symlinkSync(outside, path.join(linked, 'extra.bin'));
  const unreadable = path.join(ci, 'garbage.sigstore.json');
  writeFileSync(unreadable, 'not json');
  const cases: [string, string[], number, RegExp][] = [
    [
      'release not in the file',
      [
        '--release',
        'nope',
        '--canary',
        '--traffic',
        '5',
        '--uri',
        'gs://models-prod/x/',
        '--model-dir',
        model,
      ],
      2,
      /PIN_RELEASE_NOT_FOUND/,
    ],
    [
      'digest not the one signed',
      [...canary(), '--digest', `sha256:${'a'.repeat(64)}`, '--signature', bundle],
      1,
      /SIG_DIGEST_MISMATCH/,
    ],
    [
      'a signature for another model',
      [...canary(), '--model-dir', model, '--signature', otherBundle],
      1,
      /SIG_DIGEST_MISMATCH/,
    ],
    [
      '--digest and --model-dir disagree',
      [...canary(), '--model-dir', model, '--digest', `sha256:${'b'.repeat(64)}`],
      2,
      /PIN_DIGEST_CONFLICT/,
    ],
    [
      'oci digest and --digest disagree',
      [
        ...canary(`oci://registry.example.com/models/churn@sha256:${'c'.repeat(64)}`),
        '--digest',
        DIGEST,
      ],
      2,
      /PIN_DIGEST_CONFLICT/,
    ],
    ['no digest at all', canary(), 2, /PIN_DIGEST_MISSING/],
    [
      'a symlink out of the model folder',
      [...canary(), '--model-dir', linked],
      2,
      /MODEL_DIR_SYMLINK/,
    ],
    [
      'a model folder that does not exist',
      [...canary(), '--model-dir', path.join(ci, 'nope')],
      2,
      /MODEL_DIR_UNREADABLE/,
    ],
    [
      'an unreadable signature',
      [...canary(), '--model-dir', model, '--signature', unreadable],
      2,
      /PIN_SIGNATURE_UNREADABLE/,
    ],
    [
      'a missing signature',
      [...canary(), '--model-dir', model, '--signature', path.join(ci, 'nope.json')],
      2,
      /PIN_SIGNATURE_UNREADABLE/,
    ],
    [
      'a file:// URI left unmapped',
      [...canary('file:///srv/models/churn'), '--model-dir', model, '--signature', bundle],
      2,
      /PIN_URI_UNREADABLE/,
    ],
    [
      'a policy denial (prefix)',
      [...canary('gs://elsewhere/churn'), '--model-dir', model, '--signature', bundle],
      1,
      /PIN_DENIED .*PIN_PREFIX_NOT_ALLOWED/,
    ],
    [
      '--canary and --stable',
      ['--release', 'churn', '--canary', '--stable', '--uri', 'gs://a/'],
      2,
      /USAGE_INVALID/,
    ],
  ];
  for (const [name, args, code, pattern] of cases) {
    const r = repo();
    const before = read(r, CHURN);
    const res = await pin(r, CHURN, ...args);
    t.equal(res.code, code, `${name}: exit`);
    t.match(res.stderr, pattern, name);
    t.equal(read(r, CHURN), before, `${name}: file untouched`);
    t.notOk(exists(path.join(r, 'signatures/churn-2.2.0.sigstore.json')), `${name}: no copy`);
  }
});

t.test('a file with two releases of that name, and an unreadable file', async (t) => {
  const r = repo();
  const file = path.join(r, CHURN);
  const text = read(r, CHURN);
  writeFileSync(file, `${text}---\n${text}`);
  const twice = await pin(r, CHURN, ...canary(), '--model-dir', model);
  t.equal(twice.code, 2);
  t.match(twice.stderr, /PIN_RELEASE_AMBIGUOUS .* at lines 2, 30/);
  t.equal(readFileSync(file, 'utf8'), `${text}---\n${text}`);
  const missing = await pin(r, 'nope.yaml', ...canary(), '--model-dir', model);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /PIN_FILE_UNREADABLE/);
});

t.test('--storage-map: the longest prefix wins and makes a file:// URI readable', async (t) => {
  const r = repo();
  const res = await pin(
    r,
    CHURN,
    ...canary('file:///srv/mlruns/churn/2.2.0'),
    '--storage-map',
    'file:///srv/=gs://wrong/',
    '--storage-map',
    'file:///srv/mlruns/=gs://models-prod/',
    '--model-dir',
    model,
    '--signature',
    bundle,
  );
  t.equal(res.code, 0, res.stderr);
  t.match(read(r, CHURN), '    uri: gs://models-prod/churn/2.2.0/\n');
});

t.test('a bundle already in the repository is referenced where it is', async (t) => {
  const r = repo();
  mkdirSync(path.join(r, 'churn-canary/sigs'));
  const inside = path.join(r, 'churn-canary/sigs/c.json');
  writeFileSync(inside, readFileSync(bundle));
  const res = await pin(r, CHURN, ...canary(), '--model-dir', model, '--signature', inside);
  t.equal(res.code, 0, res.stderr);
  t.match(read(r, CHURN), '    signature: sigs/c.json\n');
  // Another bundle of the same name in the signatures folder is never overwritten.
  const r2 = repo();
  writeFileSync(path.join(r2, 'signatures/churn-2.2.0.sigstore.json'), '{}');
  const clash = await pin(r2, CHURN, ...canary(), '--model-dir', model, '--signature', bundle);
  t.equal(clash.code, 2);
  t.match(clash.stderr, /PIN_SIGNATURE_EXISTS/);
});

function exists(p: string): boolean {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
}
