import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { packageRoot } from '../../src/paths.js';
import { testPrefix } from './env.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        cb();
      },
    }),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

/** Runs the CLI in this process (the same code the binary runs), with a given stdin. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<CliResult> {
  const out = sink();
  const err = sink();
  const code = await runCli(argv, { stdin: Readable.from([stdin]), stdout: out.stream, stderr: err.stream, env });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Runs the built `supportgate` binary (bin/supportgate.js) as its own OS process. */
export function cliProcess(argv: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<CliResult> {
  return runProcess(process.execPath, [join(packageRoot(), 'bin', 'supportgate.js'), ...argv], env, stdin);
}

export function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv, stdin = '', cwd = packageRoot()): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Environment for a CLI run: the shared Redis under a fresh prefix, a private DATA_DIR. */
export function cliEnv(name: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    PATH: process.env.PATH,
    REDIS_URL: process.env.SG_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: testPrefix(name),
    DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-cli-')),
    ...extra,
  };
}
