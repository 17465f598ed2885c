import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { StrataError } from '../errors.js';

/**
 * `.strata/server.json`: written by `strata serve` on a DuckDB workspace once it listens, so
 * other strata commands on the workspace find it and send their command to it (DuckDB lets one
 * process write a file, and the server holds it). Mode 0600: the token in it is what lets a
 * command through, so only the server's user can read it. Removed on a clean stop; one left by
 * a killed server names a dead process and is ignored.
 */

/** This Strata's version: a CLI sends commands only to a server of the same version. */
export const STRATA_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The server's address as this machine reaches it: a wildcard bind is reached on loopback. */
export function loopbackUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0') parsed.hostname = '127.0.0.1';
  else if (parsed.hostname === '[::]') parsed.hostname = '[::1]';
  return parsed.origin;
}

const Marker = z.object({
  pid: z.number().int().positive(),
  /** The server on loopback (the relay answers loopback peers only). */
  url: z.string().url(),
  /** 32 random bytes, hex; new at each start. */
  token: z.string().min(32),
  version: z.string(),
});
export type ServerMarker = z.infer<typeof Marker>;

/** Where a workspace's marker is. */
export function markerFile(workspaceDir: string): string {
  return join(workspaceDir, '.strata', 'server.json');
}

/** A new token for one start of the server. */
export function newRelayToken(): string {
  return randomBytes(32).toString('hex');
}

/** Writes the marker, readable by its owner only, whole or not at all (a rename). */
export function writeMarker(workspaceDir: string, marker: ServerMarker): void {
  const file = markerFile(workspaceDir);
  mkdirSync(join(workspaceDir, '.strata'), { recursive: true });
  const scratch = `${file}.${process.pid}`;
  writeFileSync(scratch, `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
  renameSync(scratch, file);
}

/** Removes the marker if it is still this server's (a later server may have replaced it). */
export function removeMarker(workspaceDir: string, token: string): void {
  const file = markerFile(workspaceDir);
  try {
    if (Marker.parse(JSON.parse(readFileSync(file, 'utf8'))).token === token) rmSync(file);
  } catch {
    // Gone, or not ours: nothing to remove.
  }
}

/** Whether a process with this id exists (EPERM: it does, another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The marker of a server that is running, or undefined: none, unreadable as a marker (a
 * stray file), or left by a process that is gone (kill -9). A marker this user may not read
 * belongs to another user's server: an error naming the file, since the store is theirs.
 */
export function readLiveMarker(workspaceDir: string): ServerMarker | undefined {
  const file = markerFile(workspaceDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new StrataError(
      'server_unreachable',
      `${file}: cannot read it (${code ?? (error as Error).message}); a strata serve of another user may hold this workspace`,
      { file },
    );
  }
  let marker: ServerMarker;
  try {
    marker = Marker.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
  return alive(marker.pid) ? marker : undefined;
}
