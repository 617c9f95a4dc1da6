import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { nodeEntrypoint } from '../helpers/image.js';
import { REPO } from '../helpers/paths.js';

/** The analyzer's git credentials: answered from the environment, and wired the same in the image and the Deployment. */
const script = path.join(REPO, 'plugin/bin/git-askpass.sh');
const ask = (prompt: string, env: Record<string, string>) =>
  execFileSync(script, [prompt], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    encoding: 'utf8',
  });

t.test('git-askpass answers the prompt git gives it', async (t) => {
  const env = { AVIARY_GIT_USERNAME: 'bot', AVIARY_GIT_PASSWORD: 'to ken$(x)' };
  t.equal(ask("Username for 'https://git.example.com': ", env), 'bot\n');
  t.equal(ask("Password for 'https://bot@git.example.com': ", env), 'to ken$(x)\n', 'verbatim');
  t.throws(() => ask('Password: ', {}), 'an unset variable fails instead of answering empty');
});

t.test('the Deployment names the helper where the image puts it', async (t) => {
  const deployment = parse(
    readFileSync(path.join(REPO, 'deploy/analyzer/deployment.yaml'), 'utf8'),
  );
  const container = deployment.spec.template.spec.containers[0];
  const askpass = container.env.find((e: { name: string }) => e.name === 'GIT_ASKPASS').value;
  const dockerfile = readFileSync(path.join(REPO, 'plugin/analyzer.Dockerfile'), 'utf8');
  const workdir = /^WORKDIR (\S+)$/m.exec(dockerfile.split(/^FROM /m).at(-1)!)![1]!;
  t.match(
    dockerfile,
    new RegExp(`^COPY plugin/bin/git-askpass\\.sh ${path.relative(workdir, askpass)}$`, 'm'),
  );
  t.equal(container.args[0], 'analyze');
  t.same(nodeEntrypoint('plugin/analyzer.Dockerfile'), {
    flags: [],
    script: '/opt/aviary/plugin/dist/snapshot/aviary.cjs',
    args: [],
  });
  t.equal(deployment.spec.template.spec.automountServiceAccountToken, false);
});
