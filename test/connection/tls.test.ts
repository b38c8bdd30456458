// TLS against a real server: Redis 8's TLS port, its certificate signed by a throwaway CA the
// harness made with openssl. Trusted with the CA, refused (fast, with what to do) without it or
// under another name; rediss:// URLs work.
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/connection/connect.js';
import { ConnectionError } from '../../src/errors.js';
import { harness } from '../harness/index.js';

const tls = harness().tls;

// With REDIS_URL the harness starts no TLS server: the suite is skipped, and its body (still run
// to collect the tests) must not read what is not there.
describe.runIf(tls)('TLS', () => {
  const { host, port, ca } = tls ?? { host: '', port: 0, ca: '' };

  it('connects with the CA, and the endpoint says rediss', async () => {
    const conn = await connect({ host, port, tls: { ca } });
    try {
      expect(conn.endpoint).toBe(`rediss://${host}:${port}`);
      expect(await conn.send(['PING'])).toBe('PONG');
    } finally {
      await conn.close();
    }
  });

  it('a rediss:// URL turns TLS on (the CA given beside it), and its credentials are used', async () => {
    const conn = await connect({ url: `rediss://localhost:${port}`, tls: { ca } });
    const admin = await connect({ host, port, tls: { ca } });
    const user = `tls-${Date.now()}`;
    try {
      expect(await conn.send(['PING'])).toBe('PONG');
      await admin.send(['ACL', 'SETUSER', user, 'on', '>tls-pw', '~*', '+@all']);
      const asUser = await connect({ url: `rediss://${user}:tls-pw@localhost:${port}`, tls: { ca } });
      expect(await asUser.send(['ACL', 'WHOAMI'])).toBe(user);
      await asUser.close();
    } finally {
      await admin.send(['ACL', 'DELUSER', user]);
      await Promise.all([conn.close(), admin.close()]);
    }
  });

  it('refuses an untrusted certificate at once, with a ConnectionError that says to give the CA', async () => {
    const started = Date.now();
    const error = await connect({ url: `rediss://${host}:${port}`, connectTimeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /^The TLS certificate of rediss:\/\/127\.0\.0\.1:\d+ was refused \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/,
    );
    expect((error as Error).message).toContain('tls.ca');
    expect(Date.now() - started).toBeLessThan(2000); // not retried until connectTimeoutMs
  });

  it('refuses a certificate issued for another name', async () => {
    const error = await connect({ host, port, tls: { ca, servername: 'other.example' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect((error as Error).message).toContain('tls.servername');
  });

  it('rejectUnauthorized: false connects without the CA (for local testing only)', async () => {
    const conn = await connect({ host, port, tls: { rejectUnauthorized: false } });
    try {
      expect(await conn.send(['PING'])).toBe('PONG');
    } finally {
      await conn.close();
    }
  });

  it('a plain connection to the TLS port does not pass for a working one', async () => {
    const error = await connect({ host, port, connectTimeoutMs: 800 }).catch((e: unknown) => e);
    expect((error as Error).name).toMatch(/ConnectionError|TimeoutError/);
  });
});
