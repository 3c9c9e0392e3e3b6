#!/usr/bin/env node
// supportgate runs on Node.js 24 LTS (see package.json engines). npm scripts and npx put the
// project's own Node 24 (the `node` dev dependency) first on PATH; a bare older node gets a clear
// message instead of a crash deep inside a native module.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`supportgate: needs Node.js 24 or later, this is ${process.version}; run it through npm (npm start, npx supportgate) or install Node 24\n`);
  process.exit(1);
}
await import('../dist/src/cli/main.js');
