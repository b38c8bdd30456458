// entraId(): the core's token auth with Entra ID's scope, user name, messages and default
// credential; and the oid claim it reads. Pure: exact outputs, no server (the live Entra ID tests
// are test/connection/entra*.test.ts).
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { entraId, objectIdOf } from '../../src/azure/entra-id.js';
import { ENTRA_REDIS_SCOPE } from '../../src/azure/managed-redis.js';
import { ConnectionConfigSchema } from '../../src/connection/config.js';
import { CredentialsError, InvalidArgumentError } from '../../src/errors.js';
import { parseInput } from '../../src/validate.js';

const parse = (config: object) => parseInput(ConnectionConfigSchema, config, 'connection config');
const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('entraId', () => {
  it('fills the Entra ID defaults: scope, oid as user name, refresh at 75% of the lifetime, retry 1 s to 30 s, 10 s per token request', () => {
    const auth = parse({ host: 'h', auth: entraId() }).auth;
    expect(auth).toEqual({
      type: 'token',
      credential: expect.any(Object),
      scopes: ['https://redis.azure.com/.default'],
      username: expect.any(Function),
      issuer: 'Microsoft Entra ID',
      hint: expect.stringMatching(/identity can get a token.*scope is https:\/\/redis\.azure\.com\/\.default.*access policy assignment/),
      refreshAt: 0.75,
      retry: { initialDelayMs: 1000, maxDelayMs: 30000 },
      tokenTimeoutMs: 10000,
    });
    expect(ENTRA_REDIS_SCOPE).toBe('https://redis.azure.com/.default');
  });

  it('without a credential: a DefaultAzureCredential, and a config that prints it by that name only', () => {
    const config = parse({ host: 'h', auth: entraId() });
    expect(config.auth?.type === 'token' && config.auth.credential.constructor.name).toBe('DefaultAzureCredential');
    expect(inspect(config, { depth: 5 })).toContain('[credential DefaultAzureCredential]');
    expect(JSON.stringify(config)).toContain('[credential DefaultAzureCredential]');
  });

  it('passes the credential, object id, scopes and lifecycle through; objectId is the user name', () => {
    const credential = { getToken: async () => null };
    expect(
      entraId({ credential, objectId: 'oid-1', scopes: ['s'], refreshAt: 0.5, retry: { initialDelayMs: 10 }, tokenTimeoutMs: 50 }),
    ).toMatchObject({
      type: 'token',
      credential,
      username: 'oid-1',
      scopes: ['s'],
      refreshAt: 0.5,
      retry: { initialDelayMs: 10 },
      tokenTimeoutMs: 50,
    });
  });

  it('the user name is the oid claim, and a token without one is a CredentialsError asking for objectId (no token in it)', () => {
    const username = entraId().username as (token: string) => string;
    expect(username(jwt({ oid: '0a1b' }))).toBe('0a1b');
    const noOid = jwt({ sub: 'SIGsecret' });
    const error = (() => {
      try {
        return username(noOid);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('entraId({ objectId })');
    expect((error as Error).message).not.toContain('SIGsecret');
  });

  it.each([
    ['a credential without getToken', { credential: {} }, 'credential: must be a TokenCredential'],
    ['an empty object id', { objectId: '' }, 'objectId: Too small'],
    ['no scopes', { scopes: [] }, 'scopes: Too small'],
    ['refreshAt of 1', { refreshAt: 1 }, 'refreshAt: Too big'],
    ['a token timeout of 0', { tokenTimeoutMs: 0 }, 'tokenTimeoutMs: Too small'],
    ['an unknown option', { type: 'entra' }, 'Unrecognized key'],
  ])('refuses %s, naming entraId options', (_, options, expected) => {
    expect(() => entraId(options as never)).toThrow(InvalidArgumentError);
    expect(() => entraId(options as never)).toThrow(expected);
    expect(() => entraId(options as never)).toThrow('entraId options');
  });

  it('retry delays reversed are refused when the connection config is parsed', () => {
    expect(() => parse({ host: 'h', auth: entraId({ retry: { initialDelayMs: 5000, maxDelayMs: 10 } }) })).toThrow(
      'auth.retry.maxDelayMs: must be at least initialDelayMs',
    );
  });
});

describe('objectIdOf', () => {
  it('reads the oid claim of a JWT, and nothing from what is not one', () => {
    expect(objectIdOf(jwt({ oid: '0a1b', exp: 1 }))).toBe('0a1b');
    expect(objectIdOf(jwt({ sub: 'x' }))).toBeUndefined();
    expect(objectIdOf('not-a-jwt')).toBeUndefined();
    expect(objectIdOf('a.%%%.c')).toBeUndefined();
  });
});
