import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { nonPublicAddress } from '../../src/workspace/webhook-targets.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir();
let counter = 0;

/** Loads a workspace whose one webhook has `url` (line 4 of strata.yaml); the error, or null. */
function loadWith(url: string, extra = ''): StrataError | null {
  const dir = join(root, `ws${counter++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'strata.yaml'),
    `segments:\n  all: { where: { trait: plan, exists: true } }\nwebhooks:\n  crm: { url: "${url}", secretEnv: HOOK${extra} }\n`,
  );
  try {
    loadWorkspace(dir);
    return null;
  } catch (error) {
    if (error instanceof StrataError) return error;
    throw error;
  }
}

describe('webhook destinations', () => {
  it('names each kind of non-public address, IPv4-mapped ones by the IPv4 address they carry', () => {
    const kinds = Object.fromEntries(
      [
        '127.0.0.1',
        '127.8.9.10',
        '10.1.2.3',
        '172.16.0.1',
        '172.31.255.255',
        '192.168.1.1',
        '169.254.169.254',
        '0.0.0.0',
        '100.64.0.1',
        '::1',
        '::',
        'fe80::1',
        'fc00::1',
        'fd12:3456::1',
        '::ffff:127.0.0.1',
        '::ffff:169.254.169.254',
        '64:ff9b::a00:1',
        '172.32.0.1',
        '8.8.8.8',
        '2606:4700::1111',
      ].map((address) => [address, nonPublicAddress(address)]),
    );
    expect(kinds).toEqual({
      '127.0.0.1': 'a loopback address',
      '127.8.9.10': 'a loopback address',
      '10.1.2.3': 'a private address',
      '172.16.0.1': 'a private address',
      '172.31.255.255': 'a private address',
      '192.168.1.1': 'a private address',
      '169.254.169.254': 'a link-local address',
      '0.0.0.0': 'an unspecified address',
      '100.64.0.1': 'a carrier-grade NAT address',
      '::1': 'a loopback address',
      '::': 'an unspecified address',
      'fe80::1': 'a link-local address',
      'fc00::1': 'a private (unique local) address',
      'fd12:3456::1': 'a private (unique local) address',
      '::ffff:127.0.0.1': 'a loopback address',
      '::ffff:169.254.169.254': 'a link-local address',
      '64:ff9b::a00:1': 'a reserved (rfc6052) address',
      // 172.16/12 ends at 172.31.255.255.
      '172.32.0.1': null,
      '8.8.8.8': null,
      '2606:4700::1111': null,
    });
  });

  it('refuses a literal non-public address in strata.yaml, with file, line and path, unless allowPrivate', () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:9/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
      'http://10.0.0.5/',
      // Spellings that the URL parser reads as 127.0.0.1.
      'http://2130706433/',
      'http://0x7f.1/',
    ]) {
      const error = loadWith(url);
      expect([error?.code, error?.location.line, error?.location.path], url).toEqual([
        'private_webhook_url',
        4,
        'webhooks.crm.url',
      ]);
      expect(error?.message).toMatch(/^webhook 'crm': \S+ is an? [a-z -]+ address; .* allowPrivate: true$/);
      expect(loadWith(url, ', allowPrivate: true')).toBeNull();
    }
    expect(loadWith('http://169.254.169.254/')?.message).toBe(
      "webhook 'crm': 169.254.169.254 is a link-local address; Strata sends webhooks only to public addresses unless the webhook says allowPrivate: true",
    );
    // Names are resolved at each delivery, not when loading.
    expect(loadWith('https://hooks.example.com/strata')).toBeNull();
    expect(loadWith('http://8.8.8.8/')).toBeNull();
  });

  it('refuses credentials in the URL without repeating them, and schemes other than http(s)', () => {
    const error = loadWith('https://crm:s3cr3t-PLANTED-7f2@hooks.example.com/strata');
    expect([error?.code, error?.location.line, error?.location.path]).toEqual([
      'webhook_credentials',
      4,
      'webhooks.crm.url',
    ]);
    expect(error?.message).toBe(
      "webhook 'crm': the url holds credentials; remove them: a receiver authenticates Strata by the Strata-Signature header (the secret in secretEnv)",
    );
    expect(loadWith('https://token@hooks.example.com/')?.code).toBe('webhook_credentials');
    expect(loadWith('ftp://hooks.example.com/')?.code).toBe('invalid_webhook_url');
  });
});

describe('webhook batches in strata.yaml', () => {
  it('are off unless asked for; maxEvents 1 to 1000, maxBytes 1 KiB to 4 MiB (default 100,000)', () => {
    const url = 'https://hooks.example.com/strata';
    const dir = join(root, `batch${counter++}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'strata.yaml'),
      `segments:\n  all: { where: { trait: plan, exists: true } }\nwebhooks:\n  one: { url: "${url}", secretEnv: HOOK }\n  many: { url: "${url}", secretEnv: HOOK, batch: { maxEvents: 100 } }\n`,
    );
    const { webhooks } = loadWorkspace(dir).config;
    expect([webhooks.one?.batch, webhooks.many?.batch]).toEqual([
      undefined,
      { maxEvents: 100, maxBytes: 100_000 },
    ]);
    for (const batch of [
      '{ maxEvents: 0 }',
      '{ maxEvents: 1001 }',
      '{}',
      '{ maxEvents: 5, maxBytes: 1023 }',
      '{ maxEvents: 5, size: 3 }',
    ])
      expect(loadWith(url, `, batch: ${batch}`)?.location.path, batch).toMatch(/^webhooks\.crm\.batch/);
    expect(loadWith(url, ', batch: { maxEvents: 1000, maxBytes: 4194304 }')).toBeNull();
  });
});
