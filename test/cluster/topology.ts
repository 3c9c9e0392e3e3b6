import { Redis } from 'ioredis';

/** One master of the test cluster, the replica that follows it and the slots it serves. */
export interface Shard {
  master: string;
  replica: string | null;
  slots: [from: number, to: number][];
}

const portOf = (node: string) => Number(node.split(':')[1]);

async function ask<T>(node: string, what: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(portOf(node), '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, commandTimeout: 1000 });
  try {
    await r.connect();
    return await what(r);
  } finally {
    r.disconnect();
  }
}

/** The first of `nodes` that answers (a killed node does not). */
async function anyLive(nodes: string[]): Promise<string> {
  for (const node of nodes) if ((await roleOf(node)) !== 'down') return node;
  throw new Error(`none of ${nodes.join(', ')} answers`);
}

/** The shards as CLUSTER NODES on the first node answering tells them (failed nodes left out). */
export async function shards(nodes: string[]): Promise<Shard[]> {
  const text = await ask(await anyLive(nodes), (r) => r.cluster('NODES') as Promise<string>);
  const all = text.trim().split('\n').map((line) => {
    const [id, address, flags, masterId, , , , , ...ranges] = line.split(' ');
    return { id: id!, node: address!.split('@')[0]!, flags: flags!.split(','), masterId: masterId!, ranges };
  });
  return all
    .filter((n) => n.flags.includes('master') && !n.flags.includes('fail') && n.ranges.length > 0)
    .map((m) => ({
      master: m.node,
      replica: all.find((r) => r.masterId === m.id && !r.flags.includes('fail'))?.node ?? null,
      slots: m.ranges.filter((r) => !r.startsWith('[')).map((r) => {
        const [from, to = from] = r.split('-').map(Number);
        return [from!, to!] as [number, number];
      }),
    }));
}

/** The slot of a tenant's keys: they all carry the tenant as hash tag, `{t:<tenant>}`. */
export async function tenantSlot(nodes: string[], tenant: string): Promise<number> {
  return ask(await anyLive(nodes), (r) => r.cluster('KEYSLOT', `{t:${tenant}}`) as Promise<number>);
}

export async function shardOfTenant(nodes: string[], tenant: string): Promise<Shard> {
  const slot = await tenantSlot(nodes, tenant);
  const found = (await shards(nodes)).find((s) => s.slots.some(([from, to]) => from <= slot && slot <= to));
  if (!found) throw new Error(`no master serves ${tenant}'s slot ${slot}`);
  return found;
}

/** `master` or `slave` as the node says of itself (ROLE), or `down` when it does not answer. */
export function roleOf(node: string): Promise<'master' | 'slave' | 'down'> {
  return ask(node, async (r) => ((await r.call('ROLE')) as [string])[0] as 'master' | 'slave').catch(() => 'down' as const);
}

/** The fields of a node's INFO replication (`role`, `master_port`, `master_link_status`, ...), or null when it does not answer. */
export function replicationOf(node: string): Promise<Record<string, string> | null> {
  return ask(node, (r) => r.info('replication')).then(
    (info) => Object.fromEntries(info.split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)])),
    () => null,
  );
}

/**
 * True once `master` counts `node` as an online replica (`slaveN:...,state=online`): only then does
 * its WAIT count that replica's acknowledgements. After a full sync the master puts a replica
 * online on its first REPLCONF ACK (sent once a second), a moment after the replica itself says
 * `master_link_status:up`.
 */
export async function onlineReplicaOf(master: string, node: string): Promise<boolean> {
  const info = await replicationOf(master);
  const port = node.split(':')[1];
  return info?.role === 'master' && Object.entries(info).some(([k, v]) => /^slave\d+$/.test(k) && v.includes(`port=${port},`) && v.includes('state=online'));
}

/** True once `node` says it is a replica of `master`, its link up and no sync under way, and `master` counts it online. */
export async function replicaOf(node: string, master: string): Promise<boolean> {
  const info = await replicationOf(node);
  const following = info?.role === 'slave' && info.master_port === master.split(':')[1] && info.master_link_status === 'up' && info.master_sync_in_progress === '0';
  return following && onlineReplicaOf(master, node);
}

/** True once the shard's replica holds everything its master has (equal replication offsets) and the master counts it online. */
export async function replicaCaughtUp(shard: Shard): Promise<boolean> {
  if (!shard.replica) return false;
  const offset = (info: string, field: string) => Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? -1);
  const master = offset(await ask(shard.master, (r) => r.info('replication')), 'master_repl_offset');
  const replica = offset(await ask(shard.replica, (r) => r.info('replication')), 'slave_repl_offset');
  return master > 0 && master === replica && onlineReplicaOf(shard.master, shard.replica);
}

/** Closes the master's connection to its replica (the replica, stopped, cannot reconnect meanwhile). */
export function dropReplicaLink(shard: Shard): Promise<unknown> {
  return ask(shard.master, (r) => r.call('CLIENT', 'KILL', 'TYPE', 'replica'));
}

export async function clusterOk(node: string): Promise<boolean> {
  return ask(node, async (r) => /cluster_state:ok/.test((await r.cluster('INFO')) as string)).catch(() => false);
}

export async function until<T>(what: string, check: () => Promise<T | null | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
