import { request as httpsRequest } from 'node:https';
import { DEFAULT_TENANT_ID } from '../../services/sharepoint-emulator/src/index.ts';

/** What a naive script needs of the emulator: where Graph and the identity endpoint are, and the CA. */
export interface NaiveEndpoints {
  graphBaseUrl: string;
  authorityHost: string;
  caCertificatePem: string;
}

/** One client-credentials token, as a simple script gets it. */
export function fetchToken(emulator: NaiveEndpoints, clientId: string, clientSecret: string): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    scope: `${new URL(emulator.graphBaseUrl).origin}/.default`,
  }).toString();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${emulator.authorityHost}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`,
      { method: 'POST', ca: emulator.caCertificatePem, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { access_token: string }).access_token));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One POST of one list item, as the original system did: sleeping for Retry-After on 429/503, no
 * budget of its own. Resolves with the new item's id, or null when Graph refused it.
 */
export async function naivePost(url: string, token: string, fields: Record<string, unknown>): Promise<string | null> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fields }),
    });
    const text = await response.text();
    if (response.ok) return (JSON.parse(text) as { id: string }).id;
    if ((response.status === 429 || response.status === 503) && attempt < 20) {
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? '1') * 1000));
      continue;
    }
    return null;
  }
}
