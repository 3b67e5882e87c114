/** Every client command sends the node's bearer token from MEDCHAIN_RPC_TOKEN (or --rpc-token). */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');

test('MEDCHAIN_RPC_TOKEN reaches the node as a bearer token', async () => {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          error: { code: -32001, message: 'Unauthorized', data: { code: 'RPC_UNAUTHORIZED' } },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [cli, 'status'], {
      env: { ...process.env, MEDCHAIN_RPC: url, MEDCHAIN_RPC_TOKEN: 's3cret' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
  server.close();
  assert.equal(seen, ['Bearer s3cret']);
  assert.is(r.code, 3);
  assert.match(r.stderr, /needs a signed-in session or the node’s operator token/);
  assert.not.match(r.stderr, /s3cret/, 'the token is never printed');
});

test.run();
