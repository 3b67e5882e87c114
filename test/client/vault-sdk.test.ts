/** The vault SDK's own defaults, as a browser runs them. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MedchainClient } from '../../src/client/index.js';
import { generateAccount } from '../../src/client/tx.js';
import { RecordVault } from '../../src/client/vault/sdk.js';
import { to0x } from '../../src/codec/bytes.js';

test('the default fetch is called as the global object method (a browser throws "Illegal invocation" otherwise)', async () => {
  const custodian = generateAccount();
  const real = globalThis.fetch;
  // A browser's fetch refuses any `this` but the global object.
  globalThis.fetch = function (this: unknown) {
    if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
    return Promise.resolve(Response.json({ custodian: to0x(custodian.id) }));
  } as typeof fetch;
  try {
    const client = {
      call: async () => ({ identity: { pubkey: to0x(custodian.publicKey) } }),
    } as unknown as MedchainClient;
    const vault = new RecordVault({ client, chainId: 'test', account: generateAccount(), vaultUrl: 'http://vault' });
    const info = await vault.custodianInfo();
    assert.equal(info.id, custodian.id);
  } finally {
    globalThis.fetch = real;
  }
});

test.run();
