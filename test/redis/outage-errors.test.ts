import { describe, expect, it } from '@jest/globals';
import { errors } from 'oidc-provider';
import { toAppError } from '../../src/errors.js';

// What ioredis and Redis say while a standalone Redis or a cluster's master is away or moving:
// each is the caller's 503 (STORE_UNAVAILABLE), never a 500. A bug stays a 500.
describe('a Redis that is away or moving', () => {
  const outage = [
    "Stream isn't writeable and enableOfflineQueue options is false",
    "Cluster isn't ready and enableOfflineQueue options is false",
    'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
    'Command timed out',
    "Socket timeout. Expecting data, but didn't receive any in 500ms.",
    'CLUSTERDOWN The cluster is down',
    'Too many Cluster redirections. Last error: Error: Connection is closed.',
    'MOVED 7233 127.0.0.1:7001',
    'ASK 7233 127.0.0.1:7001',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'None of startup nodes is available',
    'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.',
  ];

  it.each(outage)('"%s" is STORE_UNAVAILABLE', (message) => {
    expect(toAppError(new Error(message)).code).toBe('STORE_UNAVAILABLE');
  });

  it('a transaction aborted because a command was MOVED is STORE_UNAVAILABLE', () => {
    const err = Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [new Error('MOVED 7233 127.0.0.1:7001')] });
    expect(toAppError(err).code).toBe('STORE_UNAVAILABLE');
  });

  it("oidc-provider's temporarily_unavailable (an outage come back through the provider) is STORE_UNAVAILABLE", () => {
    expect(toAppError(new errors.TemporarilyUnavailable('The data store is unavailable')).code).toBe('STORE_UNAVAILABLE');
  });

  it('a cross-slot command is a bug, not an outage', () => {
    expect(toAppError(new Error("CROSSSLOT Keys in request don't hash to the same slot")).code).toBe('INTERNAL');
  });
});
