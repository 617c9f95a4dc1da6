#!/usr/bin/env node
// The CLI is one bundled script (the start-up snapshot's entry, see plugin/src/snapshot.ts):
// loading it is much faster than resolving the hundreds of modules it is built from. Required,
// not imported: an ESM import would first scan the whole bundle for its CommonJS exports.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('../dist/snapshot/aviary.cjs');
