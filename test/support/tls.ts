import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import selfsigned from 'selfsigned';

/** A new self-signed certificate for `localhost` and `127.0.0.1`, trusted by nobody yet. */
export async function makeLocalhostCert(days = 2): Promise<{ key: string; cert: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    days,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  } as Parameters<typeof selfsigned.generate>[1]);
  return { key: pems.private, cert: pems.cert };
}

/**
 * Makes a certificate and writes `key.pem` and `cert.pem` into `dir`: what KLAXON_TEST_TLS_DIR
 * and NODE_EXTRA_CA_CERTS (the `cert.pem`) point at. Returns the path of `cert.pem`.
 */
export async function writeLocalhostCert(dir: string): Promise<string> {
  const { key, cert } = await makeLocalhostCert();
  writeFileSync(path.join(dir, 'key.pem'), key);
  writeFileSync(path.join(dir, 'cert.pem'), cert);
  return path.join(dir, 'cert.pem');
}

/**
 * The certificate the local HTTPS and SMTP servers of the tests present. `global-setup.ts` makes
 * it once per run (for `localhost` and `127.0.0.1`) and points NODE_EXTRA_CA_CERTS at it before
 * the test processes start, so every client in them (pdjs, nodemailer, child `klaxon` processes)
 * trusts it the way a real deployment trusts a real CA, without any test-only option in our code.
 */
export function testTls(): { key: string; cert: string } {
  const dir = process.env.KLAXON_TEST_TLS_DIR;
  if (!dir) throw new Error('KLAXON_TEST_TLS_DIR is not set: run the tests through vitest (global-setup.ts)');
  return {
    key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
  };
}
