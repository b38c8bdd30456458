// The provisioning scripts, run for real against a local stand-in for Debian's archive (an HTTP
// server on loopback serving Sources.xz indexes and tarballs): the highest version any suite lists
// is picked, a tarball that does not match the index's SHA-256 is discarded and the next suite
// that carries it tried, and when nothing can be fetched the script stops with its one screen.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const xz = (text: string) => execFileSync('xz', ['-c'], { input: text });

const tarball = (version: string) => Buffer.from(`pretend tarball of redis ${version}\n`);
const stanza = (version: string, dir: string, file: Buffer, name: string) =>
  `Package: redis\nVersion: 5:${version}-1\nDirectory: ${dir}\nChecksums-Sha256:\n ${sha256(file)} ${file.length} ${name}\n aaaa 10 redis_${version}-1.debian.tar.xz\n\nPackage: redis-other\nVersion: 9.9.9-1\nDirectory: pool/x\nChecksums-Sha256:\n ${sha256(file)} 1 redis-other_9.9.9.orig.tar.gz\n`;

function run(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('provisioning from Debian’s index', () => {
  let server: http.Server;
  let base: string;
  let work: string;
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    const good = tarball('8.2.1');
    // trixie lists 8.0.2; trixie-updates lists 8.2.1 but serves a corrupted copy; trixie-security serves it intact.
    files.set(
      '/debian/dists/trixie/main/source/Sources.xz',
      xz(stanza('8.0.2', 'pool/main/r/redis', tarball('8.0.2'), 'redis_8.0.2.orig.tar.gz')),
    );
    files.set('/debian/pool/main/r/redis/redis_8.0.2.orig.tar.gz', tarball('8.0.2'));
    files.set(
      '/debian/dists/trixie-updates/main/source/Sources.xz',
      xz(stanza('8.2.1', 'pool/updates/r/redis', good, 'redis_8.2.1.orig.tar.gz')),
    );
    files.set('/debian/pool/updates/r/redis/redis_8.2.1.orig.tar.gz', Buffer.from('corrupted in transit'));
    files.set(
      '/debian-security/dists/trixie-security/main/source/Sources.xz',
      xz(stanza('8.2.1', 'pool/updates/main/r/redis', good, 'redis_8.2.1.orig.tar.gz')),
    );
    files.set('/debian-security/pool/updates/main/r/redis/redis_8.2.1.orig.tar.gz', good);
    server = http.createServer((req, res) => {
      const body = files.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    work = mkdtempSync(join(tmpdir(), 'am-provision-'));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(work, { recursive: true, force: true });
  });

  const fetcher = (dest: string) => `. scripts/debian-source.sh && debian_orig_tarball redis ${dest} 8`;
  const mirrors = () => ({ DEBIAN_MIRROR: `${base}/debian`, DEBIAN_SECURITY_MIRROR: `${base}/debian-security` });

  it('picks the highest version listed, discards a tarball whose SHA-256 differs, and takes it from another suite', async () => {
    const { code, stdout, stderr } = await run(fetcher(join(work, 'a')), mirrors());
    expect(code, stderr).toBe(0);
    expect(stdout.trim()).toBe(join(work, 'a', 'redis_8.2.1.orig.tar.gz'));
    expect(readFileSync(stdout.trim())).toEqual(tarball('8.2.1'));
    expect(stderr).toMatch(/redis_8\.2\.1\.orig\.tar\.gz from trixie-updates does not match the index's SHA-256: discarded/);
  });

  it('gives up, saying why, when no suite serves a verified tarball', async () => {
    files.set('/debian-security/pool/updates/main/r/redis/redis_8.2.1.orig.tar.gz', Buffer.from('also corrupted'));
    const { code, stderr } = await run(fetcher(join(work, 'b')), mirrors());
    files.set('/debian-security/pool/updates/main/r/redis/redis_8.2.1.orig.tar.gz', tarball('8.2.1'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/no suite served a verified redis_8\.2\.1\.orig\.tar\.gz/);
  });

  it('with no cache and no archive, provision-redis.sh stops with one screen naming REDIS_URL and REDIS8_SERVER', async () => {
    const cache = join(work, 'empty-cache');
    const { code, stdout, stderr } = await run('bash scripts/provision-redis.sh 8', {
      REDIS8_CACHE: cache,
      REDIS_URL: '',
      REDIS8_SERVER: '',
      PATH: '/usr/bin:/bin', // no redis-server 8 on it
      DEBIAN_MIRROR: `${base}/nothing-here`,
      DEBIAN_SECURITY_MIRROR: `${base}/nothing-here-either`,
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/could not provision Redis 8: no verified Redis 8 tarball could be fetched/);
    expect(stderr).toMatch(/REDIS_URL=redis:\/\/host:6379 npm test/);
    expect(stderr).toMatch(/REDIS8_SERVER=\/path\/to\/redis-server npm test/);
  });

  it('REDIS8_SERVER must name a Redis 8 binary; REDIS_URL provisions nothing', async () => {
    const wrong = await run('bash scripts/provision-redis.sh 8', { REDIS_URL: '', REDIS8_SERVER: '/bin/true' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/REDIS8_SERVER=\/bin\/true is not a redis-server of version 8 or later/);
    const external = await run('bash scripts/provision-redis.sh', { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(external).toMatchObject({ code: 0, stdout: '' });
    expect(external.stderr).toMatch(/REDIS_URL is set: using that server, nothing to provision/);
  });
});
