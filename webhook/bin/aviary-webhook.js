#!/usr/bin/env node
// aviary-webhook: serves until SIGTERM/SIGINT, then stops accepting, finishes in-flight reviews
// and exits 0. Exit 1: could not start (TLS material, port); 2: bad usage.
const stopSignal = new Promise((resolve) => {
  process.once('SIGTERM', () => resolve('SIGTERM'));
  process.once('SIGINT', () => resolve('SIGINT'));
});

const { run } = await import('../dist/server.js');
process.exitCode = await run({
  argv: process.argv.slice(2),
  stdout: process.stdout,
  stderr: process.stderr,
  stopSignal,
});
