import type { Config } from '../../src/config.js';
import type { Domain } from '../../src/domain.js';
import type { RedisClient } from '../../src/redis/client.js';
import type { KeyLedger } from './key-shape.js';

/** What every part of the store contract runs on: one Redis (standalone or cluster) under one prefix. */
export interface StoreWorld {
  config: Config;
  redis: RedisClient;
  domain: Domain;
  /** The prefix every store of the run writes under (the config's). */
  prefix: string;
  keys: KeyLedger;
}
