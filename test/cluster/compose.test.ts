import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { packageRoot } from '../../src/paths.js';
import { loadBalancerConfig } from '../support/load-balancer.js';

describe("docker compose's cluster profile", () => {
  it('balances its two gateways with the nginx configuration the cluster tests run', () => {
    const shipped = readFileSync(join(packageRoot(), 'deploy', 'nginx', 'supportgate-lb.conf'), 'utf8');
    const withoutComments = shipped.split('\n').filter((l) => !l.startsWith('#')).join('\n').trimStart();
    expect(withoutComments).toBe(loadBalancerConfig({ upstreams: ['gateway-1:3000', 'gateway-2:3000'], listen: '80' }));
  });
});
