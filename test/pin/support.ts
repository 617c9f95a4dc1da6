import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, FIXTURES, REPO } from '../helpers/paths.js';

/** Paths of the real tools `test/pin/peer/build.sh` installs (fast when cached). */
export function pinPeers(): { modelSigning: string; mlflowPython: string } {
  const out = execFileSync('bash', [path.join(REPO, 'test/pin/peer/build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const value = (k: string) => new RegExp(`^${k}=(.+)$`, 'm').exec(out)![1]!;
  return { modelSigning: value('MODEL_SIGNING'), mlflowPython: value('MLFLOW_PYTHON') };
}

/** The private half of the example repository's release key (TEST ONLY, see the fixtures README). */
export const RELEASE_KEY = path.join(FIXTURES, 'signing/keys/release-key.pem');
export const POLICIES = path.join(REPO, 'policies/catalog');

/** A model folder with a nested file and the git paths model_signing ignores. */
export function writeModel(dir: string, version: string): string {
  mkdirSync(path.join(dir, 'tokenizer'), { recursive: true });
  mkdirSync(path.join(dir, '.git'), { recursive: true });
  writeFileSync(path.join(dir, 'weights.bin'), `weights ${version}`);
  writeFileSync(path.join(dir, 'config.json'), `{"version":"${version}"}`);
  writeFileSync(path.join(dir, 'tokenizer/vocab.txt'), 'a\nb\n');
  writeFileSync(path.join(dir, '.git/HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(path.join(dir, '.gitattributes'), '*.bin filter=lfs\n');
  return dir;
}

/** Signs a model with the real model_signing CLI and the release key; returns the bundle path. */
export function signModel(modelSigning: string, model: string, bundle: string): string {
  execFileSync(
    modelSigning,
    ['sign', 'key', model, '--private_key', RELEASE_KEY, '--signature', bundle],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return bundle;
}

/** The sha256 a bundle's statement binds (its one subject), read independently of Aviary. */
export function boundDigest(bundle: string): string {
  const b = JSON.parse(readFileSync(bundle, 'utf8')) as { dsseEnvelope: { payload: string } };
  const s = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8')) as {
    subject: { digest: { sha256: string } }[];
  };
  return `sha256:${s.subject[0]!.digest.sha256}`;
}

/** A Git work tree holding a copy of the example GitOps repository. */
export function exampleRepo(dir: string): string {
  cpSync(EXAMPLES, dir, { recursive: true });
  mkdirSync(path.join(dir, '.git'));
  return dir;
}
