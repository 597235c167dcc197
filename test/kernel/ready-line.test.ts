import { expect, test } from 'bun:test';
import type { HubConfig } from '../../src/config/schema.ts';
import { readyLine } from '../../src/kernel/startup.ts';

function configWith(url: string): HubConfig {
  return { storage: { url }, auth: { jwt: {} } } as unknown as HubConfig;
}

test('the ready line names the store without its password', () => {
  const line = readyLine({
    url: 'http://127.0.0.1:3000',
    access: 'token',
    configFile: null,
    config: configWith('postgres://relaykit:s3cret-pw@db.internal:5432/relaykit?sslmode=require'),
    plugins: [],
  });
  expect(line.store).toBe('postgres://relaykit:***@db.internal:5432/relaykit?sslmode=require');
  expect(JSON.stringify(line)).not.toContain('s3cret-pw');
});

test('a SQLite store is named as configured', () => {
  const line = readyLine({
    url: 'http://127.0.0.1:3000',
    access: 'open',
    configFile: null,
    config: configWith('sqlite:./data/relaykit.db'),
    plugins: [],
  });
  expect(line.store).toBe('sqlite:./data/relaykit.db');
});
