import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { StrataError } from '../errors.js';

/**
 * API keys of a workspace, kept in `.strata/keys.json` (mode 0600) as SHA-256 hashes: the
 * key itself is printed once, when created, and never stored. A key is 32 random bytes, so
 * a fast hash is enough (a slow password hash protects guessable secrets, not these).
 *
 * Scopes: `write` sends events (the Segment-spec endpoints), `read` reads segments,
 * members and profiles, `admin` does both and manages the server.
 */

export const SCOPES = ['write', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * The longest key a request may present, in bytes. Strata's keys are about 60 characters;
 * a longer one is refused before it is hashed or looked up.
 */
export const MAX_KEY_BYTES = 512;

const KeyRecord = z.object({
  /** The key's first characters, shown in lists and logs instead of the key. */
  id: z.string(),
  scope: z.enum(SCOPES),
  name: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type KeyRecord = z.infer<typeof KeyRecord>;
const KeyFile = z.object({ format: z.literal('strata-keys'), keys: z.array(KeyRecord) });

export function keysFile(workspaceDir: string): string {
  return join(workspaceDir, '.strata', 'keys.json');
}

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/** The workspace's keys (none when the file does not exist yet). */
export function readKeys(workspaceDir: string): KeyRecord[] {
  const file = keysFile(workspaceDir);
  if (!existsSync(file)) return [];
  const parsed = KeyFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new StrataError(
      'invalid_keys_file',
      `${file}: not a Strata keys file (${parsed.error.issues[0]?.message})`,
      {
        file,
      },
    );
  return parsed.data.keys;
}

function writeKeys(workspaceDir: string, keys: readonly KeyRecord[]): void {
  const file = keysFile(workspaceDir);
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ format: 'strata-keys', keys }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/** A new random key and its record (the hash, never the key). */
function mintKey(scope: Scope, name: string): { key: string; record: KeyRecord } {
  const key = `strata_${scope}_${randomBytes(32).toString('base64url')}`;
  const record: KeyRecord = {
    id: key.slice(0, `strata_${scope}_`.length + 6),
    scope,
    name,
    sha256: digest(key),
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  return { key, record };
}

/** Creates a key; returns it (the only time it is seen) and its record. */
export function createKey(workspaceDir: string, scope: Scope, name = ''): { key: string; record: KeyRecord } {
  if (!SCOPES.includes(scope))
    throw new StrataError('invalid_argument', `--scope ${scope}: expected one of ${SCOPES.join(', ')}`);
  const { key, record } = mintKey(scope, name);
  writeKeys(workspaceDir, [...readKeys(workspaceDir), record]);
  return { key, record };
}

/** Revokes the key with this id (or the key itself); returns its record. */
export function revokeKey(workspaceDir: string, idOrKey: string): KeyRecord {
  const keys = readKeys(workspaceDir);
  const index = keys.findIndex((k) => k.id === idOrKey || k.sha256 === digest(idOrKey));
  const found = keys[index];
  if (!found) throw new StrataError('unknown_key', `no API key ${idOrKey} (see strata keys list)`);
  const revoked = { ...found, revokedAt: found.revokedAt ?? new Date().toISOString() };
  keys[index] = revoked;
  writeKeys(workspaceDir, keys);
  return revoked;
}

/** What a request's key may do, checked against hashes read at start (and on reload). */
export class KeyRing {
  private records: KeyRecord[];

  constructor(private readonly workspaceDir: string) {
    this.records = readKeys(workspaceDir);
  }

  /** Reads the keys file again (keys created or revoked while serving). */
  reload(): void {
    this.records = [...readKeys(this.workspaceDir), ...this.ephemeral];
  }

  /** Keys that live as long as the server: never written anywhere. */
  private readonly ephemeral: KeyRecord[] = [];

  /** Creates a key for this server's life only (the dashboard's read key); returns it. */
  addEphemeral(scope: Scope, name: string): string {
    const { key, record } = mintKey(scope, name);
    this.ephemeral.push(record);
    this.records.push(record);
    return key;
  }

  get size(): number {
    return this.records.filter((k) => k.revokedAt === null).length;
  }

  /**
   * The live key matching `key`, or null. Compared in constant time. Nothing presented is
   * kept: hashing a key costs about 2 microseconds, and a cache of presented keys would hold
   * whatever junk clients send (a request looks its key up once, in key-guard.ts).
   */
  find(key: string): KeyRecord | null {
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) return null;
    const hash = Buffer.from(digest(key), 'hex');
    for (const record of this.records)
      if (record.revokedAt === null && timingSafeEqual(hash, Buffer.from(record.sha256, 'hex')))
        return record;
    return null;
  }
}

/** Whether a key of scope `has` may do what needs `needs` (admin may do everything). */
export function allows(has: Scope, needs: Exclude<Scope, 'admin'> | 'admin'): boolean {
  return has === 'admin' || has === needs;
}
