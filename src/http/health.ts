import { Router } from 'express';
import type { RedisClient } from '../redis/client.js';
import { redisHealth } from '../redis/client.js';

/**
 * /healthz: the process is up (liveness). /readyz: Redis can serve (standalone: it answers; a
 * Cluster: every master answers and every slot is served, see redisHealth) and start-up work is
 * done, so traffic may come (readiness); 503 otherwise, turning 200 again on its own when Redis is
 * back. Checked within 1 s, so a probe never waits on a Redis that does not answer.
 */
export function healthRoutes(redis: RedisClient, isBootstrapped: () => boolean): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const redisState = await redisHealth(redis, 1000);
    const ready = redisState === 'up' && isBootstrapped();
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      checks: { redis: redisState, bootstrap: isBootstrapped() ? 'done' : 'pending' },
    });
  });
  return router;
}
