import { describe, expect, test } from 'bun:test';
import { StorageError } from '../../src/storage/postgres/errors.ts';
import { isPostgresUrl, parsePostgresUrl, redactUrl } from '../../src/storage/postgres/url.ts';

const NO_ENV = {};

function refusal(url: string, env: Record<string, string> = NO_ENV): StorageError {
  try {
    parsePostgresUrl(url, env);
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }
  throw new Error(`${url} was accepted`);
}

describe('storage.url for PostgreSQL', () => {
  test('reads host, port, database, user and password, decoding percent-escapes', () => {
    const t = parsePostgresUrl('postgres://app:p%40ss%2Fw0rd@db.example.com:6543/relay%20kit', NO_ENV);
    expect(t).toMatchObject({
      host: 'db.example.com',
      port: 6543,
      database: 'relay kit',
      user: 'app',
      password: 'p@ss/w0rd',
      schema: null,
      label: 'db.example.com:6543/relay kit',
    });
  });

  test('defaults the port to 5432 and accepts postgresql:// and IPv6 hosts', () => {
    expect(parsePostgresUrl('postgresql://app@[::1]/db', NO_ENV)).toMatchObject({
      host: '::1',
      port: 5432,
      label: '[::1]:5432/db',
    });
    expect(isPostgresUrl('postgresql://x@h/db')).toBe(true);
    expect(isPostgresUrl('sqlite:./data/relaykit.db')).toBe(false);
  });

  test('sslmode comes from the URL, else verify-full for sslrootcert=system, else PGSSLMODE, else prefer (libpq)', () => {
    expect(parsePostgresUrl('postgres://a@h/db?sslmode=verify-full', { PGSSLMODE: 'disable' }).sslmode).toBe(
      'verify-full',
    );
    expect(parsePostgresUrl('postgres://a@h/db', { PGSSLMODE: 'require' }).sslmode).toBe('require');
    expect(parsePostgresUrl('postgres://a@h/db', NO_ENV).sslmode).toBe('prefer');
    expect(parsePostgresUrl('postgres://a@h/db?sslrootcert=system', { PGSSLMODE: 'require' }).sslmode).toBe(
      'verify-full',
    );
    for (const mode of ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']) {
      expect(parsePostgresUrl(`postgres://a@h/db?sslmode=${mode}`, NO_ENV).sslmode).toBe(mode as never);
    }
  });

  test('an unknown sslmode is refused, naming the allowed ones', () => {
    const err = refusal('postgres://a:secret@h/db?sslmode=maybe');
    expect(err.code).toBe('RELAYKIT_ERR_STORAGE_URL_INVALID');
    expect(err.message).toContain('sslmode=maybe');
    expect(err.message).toContain('verify-full');
    expect(err.message).not.toContain('secret');
  });

  test('?schema= is kept out of the driver URL; other parameters pass through', () => {
    const t = parsePostgresUrl(
      'postgres://a@h/db?schema=tenant_1&sslmode=disable&application_name=edge&connect_timeout=4',
      NO_ENV,
    );
    expect(t.schema).toBe('tenant_1');
    const driver = new URL(t.driverUrl).searchParams;
    expect(driver.has('schema')).toBe(false);
    expect(driver.has('sslmode')).toBe(false);
    expect(driver.get('application_name')).toBe('edge');
    expect(driver.get('connect_timeout')).toBe('4');
  });

  test('a schema that is not a plain identifier, or given twice, is refused', () => {
    expect(refusal('postgres://a@h/db?schema=bad;drop').message).toContain('schema=bad;drop');
    expect(refusal('postgres://a@h/db?schema=x&options=-c%20search_path%3Dy').message).toContain('either ?schema=');
  });

  test('URLs without a host, database or user, or of another scheme, are refused', () => {
    expect(refusal('postgres://a@h').message).toContain('no database');
    expect(refusal('postgres://h/db').message).toContain('no user');
    expect(parsePostgresUrl('postgres://h/db', { PGUSER: 'envuser' }).user).toBe('envuser');
    expect(refusal('mysql://a@h/db').message).toContain('expected postgres://');
    expect(refusal('postgres://a@h1,h2/db').message).toContain('several hosts');
  });
});

describe('redactUrl', () => {
  test('hides the password and keeps everything else', () => {
    expect(redactUrl('postgres://app:s3cret@db:5432/relaykit?sslmode=require')).toBe(
      'postgres://app:***@db:5432/relaykit?sslmode=require',
    );
  });

  test('hides passwords holding @ or / and password= parameters', () => {
    expect(redactUrl('postgres://app:a@b/c@db/relaykit')).toBe('postgres://app:***@db/relaykit');
    expect(redactUrl('postgres://app:a?b#c@db/relaykit')).toBe('postgres://app:***@db/relaykit');
    expect(redactUrl('postgres://app@db/relaykit?password=hunter2&x=1')).toBe(
      'postgres://app@db/relaykit?password=***&x=1',
    );
  });

  test('leaves URLs without a password as they are', () => {
    for (const url of ['postgres://app@db/relaykit', 'sqlite:./data/relaykit.db', 'redis://127.0.0.1:6379']) {
      expect(redactUrl(url)).toBe(url);
    }
  });
});
