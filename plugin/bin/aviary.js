#!/usr/bin/env node
import module from 'node:module';

// Each CMP call is a fresh process; a compile cache in the sidecar's /tmp saves start-up time (Node >= 22.8).
module.enableCompileCache?.();

process.once('SIGTERM', () => {
  process.stderr.write('aviary: terminated (SIGTERM); no manifests were written\n');
  process.exit(143);
});

const { runProcess } = await import('../dist/bundle/cli.js');
process.exitCode = await runProcess();
