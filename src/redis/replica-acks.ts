import { AppError } from '../errors.js';
import type { RedisClient } from './client.js';

/**
 * How many replicas must hold a write before it counts as done. Redis replicates asynchronously:
 * a master that answered OK and died before its replica received the write takes the write with
 * it when the replica is promoted (measured in test/cluster/replica-acks.test.ts). Records that
 * must survive a failover (audit entries, support windows) can ask for WAIT after writing.
 */
export interface ReplicaAcks {
  /** Replicas that must acknowledge; 0 asks for nothing (asynchronous replication, the default). */
  replicas: number;
  /** How long to wait for them before the write is reported as failed. */
  timeoutMs: number;
}

export const NO_REPLICA_ACKS: ReplicaAcks = { replicas: 0, timeoutMs: 0 };

/** Whether `err` is a write that stands on the master but was not confirmed by its replicas. */
export function isUnconfirmed(err: unknown): boolean {
  return err instanceof AppError && err.key === 'STORE_UNCONFIRMED';
}

/**
 * Resolves once `acks.replicas` replicas of the node serving `key` hold every write this process
 * sent to it (WAIT); otherwise refuses, as the store being unavailable (503), so the action that
 * wrote fails closed. WAIT has no key, so it rides in a pipeline behind a read of `key`: ioredis
 * sends a cluster pipeline to the one node serving the pipeline's slot, on the same connection the
 * write went out on, and WAIT covers everything sent on that connection before it.
 */
export async function awaitReplicas(redis: RedisClient, key: string, acks: ReplicaAcks): Promise<void> {
  if (acks.replicas <= 0) return;
  const results = await redis.pipeline().exists(key).wait(acks.replicas, acks.timeoutMs).exec();
  const [err, acknowledged] = results?.[1] ?? [new Error('no answer to WAIT'), 0];
  if (err) throw err;
  if (Number(acknowledged) < acks.replicas) {
    // The write stands on the master: callers decide what an unconfirmed write means for them
    // (a widened support window is taken back; an audit entry stays, see audited.ts).
    throw new AppError('STORE_UNCONFIRMED', undefined, {
      params: { reason: `${Number(acknowledged)} of ${acks.replicas} replicas acknowledged the write within ${acks.timeoutMs} ms` },
    });
  }
}
