import { testConfig } from '../support/env.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('standalone Redis (127.0.0.1:6379)', () => testConfig('stores'));
