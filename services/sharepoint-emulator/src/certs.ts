import { generate } from 'selfsigned';
import type { TlsMaterial } from './state.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A self-signed certificate that is its own CA (basicConstraints cA, keyCertSign) with
 * SANs for 127.0.0.1, ::1 and localhost, so a client can trust exactly this certificate
 * through `NODE_EXTRA_CA_CERTS` or an https.Agent `ca` option.
 */
export async function generateTls(): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - DAY_MS);
  const notAfterDate = new Date(Date.now() + 365 * DAY_MS);
  const pems = await generate([{ name: 'commonName', value: 'SyncBridge SharePoint emulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, notAfter: notAfterDate.toISOString() };
}

/** Reuses persisted TLS material while it has more than a week left, so clients keep trusting it across restarts. */
export const tlsStillValid = (tls: TlsMaterial | undefined): tls is TlsMaterial => !!tls && Date.parse(tls.notAfter) - Date.now() > 7 * DAY_MS;
