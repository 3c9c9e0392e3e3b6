import { hash, verify } from '@node-rs/argon2';

/** argon2id parameters; every one is passed explicitly because the libraries' defaults differ. */
export interface Argon2Params {
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

// @node-rs/argon2 declares Algorithm as a `const enum`, which isolatedModules cannot inline.
const ARGON2ID = 2;

export interface PasswordHasher {
  /** An argon2id PHC string with the configured parameters and a fresh salt. */
  hash(password: string): Promise<string>;
  /** True when the password matches the PHC string; a malformed hash is a mismatch, never a throw. */
  verify(phc: string, password: string): Promise<boolean>;
  /**
   * Costs what a verify of a real hash costs and returns false: called when there is no user, so
   * "unknown user" and "wrong password" take the same time.
   */
  verifyNobody(password: string): Promise<false>;
}

/**
 * argon2id on @node-rs/argon2 (libuv thread pool, off the event loop). Chosen over `argon2` by the
 * benchmark in bench/argon2.ts: see the README's design notes for the figures.
 */
export class Argon2idHasher implements PasswordHasher {
  private dummy: Promise<string> | undefined;

  constructor(private readonly params: Argon2Params) {}

  private options() {
    return {
      algorithm: ARGON2ID,
      memoryCost: this.params.memoryKiB,
      timeCost: this.params.timeCost,
      parallelism: this.params.parallelism,
      outputLen: 32,
    };
  }

  hash(password: string): Promise<string> {
    return hash(password, this.options());
  }

  async verify(phc: string, password: string): Promise<boolean> {
    try {
      return await verify(phc, password);
    } catch {
      return false;
    }
  }

  async verifyNobody(password: string): Promise<false> {
    // One hash with the current parameters, made lazily and reused: verifying against it costs
    // the same as verifying a real user's hash made with the same parameters.
    this.dummy ??= hash('supportgate-no-such-user', this.options());
    await this.verify(await this.dummy, password);
    return false;
  }
}

/** Parameters recorded in a PHC string, to check what was stored. */
export function phcParams(phc: string): { algorithm: string; memoryKiB: number; timeCost: number; parallelism: number } | null {
  const m = /^\$(argon2(?:id|i|d))\$v=19\$([^$]+)\$[^$]+\$[^$]+$/.exec(phc);
  if (!m) return null;
  const params = Object.fromEntries(m[2]!.split(',').map((kv) => kv.split('=') as [string, string]));
  return {
    algorithm: m[1]!,
    memoryKiB: Number(params.m),
    timeCost: Number(params.t),
    parallelism: Number(params.p),
  };
}
