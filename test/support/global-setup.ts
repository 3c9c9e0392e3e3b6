import { randomBytes } from 'node:crypto';

/**
 * One unique key prefix per test run; every suite adds its own part under it and the global
 * teardown removes exactly these keys. Environment set here reaches the test workers.
 * (Kept free of relative imports: jest loads this file outside its module mapper.)
 */
export default function globalSetup(): void {
  process.env.SG_TEST_RUN_PREFIX = `sgtest:${Date.now().toString(36)}-${randomBytes(4).toString('hex')}:`;
}
