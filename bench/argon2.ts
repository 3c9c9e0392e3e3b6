/**
 * Password-hash benchmark: verifies/s with every core busy, for the `argon2` package and
 * @node-rs/argon2, with the configured argon2id parameters, in one run. The project uses the
 * faster one (README, design notes). Run: npm run bench:argon2 [-- --seconds 5]
 */
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import * as noderRs from '@node-rs/argon2';
import { loadConfig } from '../src/config.js';

interface Lib {
  name: string;
  hash(pw: string): Promise<string>;
  verify(phc: string, pw: string): Promise<boolean>;
}

async function verifiesPerSecond(lib: Lib, phc: string, seconds: number, concurrency: number): Promise<{ perSecond: number; singleMs: number }> {
  // One verify alone first (latency), then every core busy (throughput).
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await lib.verify(phc, 'correct horse battery staple');
  const singleMs = (performance.now() - t0) / 3;
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      if (!(await lib.verify(phc, 'correct horse battery staple'))) throw new Error(`${lib.name}: verify failed`);
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { perSecond: done / ((performance.now() - start) / 1000), singleMs };
}

export async function runArgon2Bench(seconds: number): Promise<void> {
  const config = loadConfig({ env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' } });
  const { memoryKiB, timeCost, parallelism } = config.passwords;
  const cores = availableParallelism();
  const libs: Lib[] = [
    {
      name: 'argon2',
      hash: (pw) => argon2.hash(pw, { type: argon2.argon2id, memoryCost: memoryKiB, timeCost, parallelism }),
      verify: (phc, pw) => argon2.verify(phc, pw),
    },
    {
      name: '@node-rs/argon2',
      hash: (pw) => noderRs.hash(pw, { algorithm: 2, memoryCost: memoryKiB, timeCost, parallelism }),
      verify: (phc, pw) => noderRs.verify(phc, pw),
    },
  ];
  console.log(`argon2id m=${memoryKiB} KiB t=${timeCost} p=${parallelism}; ${cores} cores, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}, Node ${process.version}, ${seconds}s each`);
  const results: Record<string, number> = {};
  for (const lib of libs) {
    const phc = await lib.hash('correct horse battery staple');
    const r = await verifiesPerSecond(lib, phc, seconds, Math.max(cores, 4));
    results[lib.name] = r.perSecond;
    console.log(`${lib.name.padEnd(16)} one verify ${r.singleMs.toFixed(1)} ms   ${r.perSecond.toFixed(1)} verifies/s (all cores)`);
  }
  const ratio = results['@node-rs/argon2']! / results.argon2!;
  console.log(`ratio @node-rs/argon2 / argon2 = ${ratio.toFixed(2)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--seconds');
  await runArgon2Bench(i > 0 ? Number(process.argv[i + 1]) : 5);
}
