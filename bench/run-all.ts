/** Every benchmark, one after another: npm run bench. */
import { runArgon2Bench } from './argon2.js';
import { runAuditBench } from './audit.js';
import { runForwardAuthBench } from './forward-auth.js';
import { runOidcBench } from './oidc.js';

await runArgon2Bench(5);
console.log('');
await runAuditBench(1_000_000);
console.log('');
await runOidcBench(8);
console.log('');
await runForwardAuthBench(8);
