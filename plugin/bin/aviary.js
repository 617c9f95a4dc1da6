#!/usr/bin/env node
// The CLI is one bundled script (the start-up snapshot's entry, see plugin/src/snapshot.ts):
// loading it is much faster than resolving the hundreds of modules it is built from.
import '../dist/snapshot/aviary.cjs';
