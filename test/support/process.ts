import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { packageRoot } from '../../src/paths.js';

/** A long-running process of ours (gateway, demo) whose output the test reads as it comes. */
export class RunningProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  /** The signal that ended the process, when one did (exit code null). */
  exitSignal: NodeJS.Signals | null = null;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, { cwd: packageRoot(), env });
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitSignal = signal;
        resolve(code);
      }),
    );
  }

  async waitForOutput(text: string, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stdout.includes(text) && !this.stderr.includes(text)) {
      if (this.child.exitCode !== null) throw new Error(`exited (${this.child.exitCode}) before printing ${JSON.stringify(text)}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** "0", or how it ended otherwise with the end of its stderr (a failing test's message). */
  async ending(): Promise<string> {
    const code = await this.exited;
    return code === 0 ? '0' : `exit code ${code}, signal ${this.exitSignal}; stderr: ${this.stderr.slice(-1500)}`;
  }

  /** Kills the process if a test failed half-way. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
