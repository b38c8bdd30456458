// `@azure/identity` is an optional peer dependency: the library imports it only to make a
// DefaultAzureCredential (entraId() without a credential). Without it installed, that is a
// CredentialsError that says what to do; with it, the real DefaultAzureCredential.
import { describe, expect, it } from 'vitest';
import { defaultCredential } from '../../src/azure/entra-id.js';
import { CredentialsError } from '../../src/errors.js';

describe('the default Entra ID credential', () => {
  it("is @azure/identity's DefaultAzureCredential when the package is installed", async () => {
    const { DefaultAzureCredential } = await import('@azure/identity');
    expect(await defaultCredential()).toBeInstanceOf(DefaultAzureCredential);
  });

  it('is a CredentialsError naming the package and entraId({ credential }) when @azure/identity is not installed', async () => {
    const missing = Object.assign(new Error("Cannot find package '@azure/identity'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await defaultCredential(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('npm install @azure/identity');
    expect((error as Error).message).toContain('entraId({ credential })');
    expect((error as Error).cause).toBe(missing);
  });

  it('is a CredentialsError too when the package is installed but cannot be loaded', async () => {
    const broken = new SyntaxError('Unexpected token');
    const error = await defaultCredential(() => Promise.reject(broken)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toMatch(/could not be loaded.*SyntaxError/);
    expect((error as Error).cause).toBe(broken);
  });
});
