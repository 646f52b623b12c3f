import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EnvKeyProvider, SecretBox } from '@syncbridge/shared/crypto';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson } from '../harness/sync.ts';

/*
 * Rotating the encryption key (README, Security): add a new key and make it active, run
 * `pnpm secrets:reencrypt`, then remove the old key: every stored secret still decrypts.
 */

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

it('rewrites every stored secret with the new active key, so the old key can go', async () => {
  const app = await apiJson(stack, '/v1/apps', { method: 'POST', json: { name: 'rot', ownerTeam: 't' } }, 201);
  const db = await apiJson(stack, '/v1/databases', { method: 'POST', json: { appId: app.id, name: 'd', engine: 'postgres', environment: 'prod' } }, 201);
  await apiJson(
    stack,
    '/v1/database-instances',
    {
      method: 'POST',
      json: { databaseId: db.id, name: 'p', host: 'db.example.com', port: 5432, databaseName: 'x', username: 'u', password: 'pw-one', role: 'primary' },
    },
    201,
  );
  await apiJson(
    stack,
    '/v1/sharepoint-connections',
    {
      method: 'POST',
      json: { appId: app.id, name: 'c', tenantId: 'contoso.onmicrosoft.com', clientId: '3b2a1c0d-8e7f-4a6b-9c5d-000000000002', clientSecret: 'secret-one' },
    },
    201,
  );

  const [oldId] = stack.encryptionKeys.split(':');
  const newKeys = `${stack.encryptionKeys},next:${randomBytes(32).toString('base64')}`;
  const run = (env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'shared/src/crypto/reencrypt-cli.ts'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: stack.db.url, ...env },
    });
  const { stdout } = await run({ SYNCBRIDGE_ENCRYPTION_KEYS: newKeys, SYNCBRIDGE_ACTIVE_KEY_ID: 'next' });
  expect(JSON.parse(stdout)).toEqual({ activeKeyId: 'next', before: { [oldId!]: 2 }, rewritten: 2 });
  // Idempotent: nothing left to rewrite.
  expect(JSON.parse((await run({ SYNCBRIDGE_ENCRYPTION_KEYS: newKeys, SYNCBRIDGE_ACTIVE_KEY_ID: 'next' })).stdout)).toMatchObject({
    before: { next: 2 },
    rewritten: 0,
  });

  // With only the new key configured, every secret decrypts.
  const onlyNew = new SecretBox(new EnvKeyProvider(newKeys.split(',')[1]!));
  const rows = await stack.store.sql<Array<{ s: string }>>`
    select password_encrypted as s from database_instances union all select client_secret_encrypted from sharepoint_connections`;
  expect(rows.map((r) => onlyNew.decrypt(r.s)).sort()).toEqual(['pw-one', 'secret-one']);
});
