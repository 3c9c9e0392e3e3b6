import { expect } from '@jest/globals';
import { Cluster } from 'ioredis';
import type { RedisClient } from '../../src/redis/client.js';

/**
 * The key shape every store keeps: the configured prefix, then one hash tag — a tenant
 * (`{t:acme}`), an actor (`{a:<uuid>}`) or the global one (`{g}`) — then the rest. Only the first
 * `{...}` of a key is hashed, so the tag decides the key's Cluster slot.
 */
export function keyShape(prefix: string): RegExp {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}\\{(t:[a-z][a-z0-9-]+|a:[0-9a-f-]+|g)\\}:`);
}

/** Every key under the prefix, from every master of a cluster. */
export async function storedKeys(redis: RedisClient, prefix: string): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
  }
  return keys;
}

/** What the cases of the contract write, checked against the key shape. */
export class KeyLedger {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** The keys there are now: taken before a case, to tell what it wrote. */
  async snapshot(): Promise<ReadonlySet<string>> {
    return new Set(await storedKeys(this.redis, this.prefix));
  }

  /** Asserts that every key under the prefix has the contract's shape, and answers them all. */
  async allShaped(): Promise<string[]> {
    const keys = await storedKeys(this.redis, this.prefix);
    const shape = keyShape(this.prefix);
    expect(keys.filter((k) => !shape.test(k))).toEqual([]);
    return keys;
  }

  /**
   * Asserts the key shape, then answers the hash tags (`t:acme`, `a:<id>`, `g`) of the keys
   * written since `before`, sorted and each once: which slots a case wrote to.
   */
  async tagsWrittenSince(before: ReadonlySet<string>): Promise<string[]> {
    const written = (await this.allShaped()).filter((k) => !before.has(k));
    const tags = new Set(written.map((k) => k.slice(this.prefix.length + 1, k.indexOf('}'))));
    return [...tags].sort();
  }
}
