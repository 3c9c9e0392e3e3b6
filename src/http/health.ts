import { Router } from 'express';
import type { RedisClient } from '../redis/client.js';
import { redisAnswers } from '../redis/client.js';

/**
 * /healthz: the process is up (liveness). /readyz: Redis answers and start-up work is done, so
 * traffic may come (readiness); 503 otherwise, turning 200 again on its own when Redis is back.
 */
export function healthRoutes(redis: RedisClient, isBootstrapped: () => boolean): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const redisUp = await redisAnswers(redis, 1000);
    const ready = redisUp && isBootstrapped();
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      checks: { redis: redisUp ? 'up' : 'down', bootstrap: isBootstrapped() ? 'done' : 'pending' },
    });
  });
  return router;
}
