import { StrataError } from '../../errors.js';
import { createKey, type KeyRecord, keysFile, readKeys, revokeKey, SCOPES } from '../../server/api-keys.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import type { KeysCreateInput, KeysListInput, KeysRevokeInput } from '../commands/keys.js';
import { formatTable, machineRefusal, type Output } from '../output.js';

/** Runs `work`, which writes the key file; a refusal by the machine names that file. */
function writingKeys<T>(workspaceDir: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw machineRefusal(error, 'write', keysFile(workspaceDir)) ?? error;
  }
}

/** `strata keys create --scope write|read|admin [--name N]`: prints the new key, once. */
export function runKeysCreate(options: KeysCreateInput, output: Output) {
  const workspace = loadWorkspace(options.workspace, { metricsOnly: true });
  const scope = SCOPES.find((s) => s === options.scope);
  if (scope === undefined)
    throw new StrataError(
      'invalid_argument',
      `--scope ${options.scope}: expected one of ${SCOPES.join(', ')}`,
    );
  const { key, record } = writingKeys(workspace.dir, () => createKey(workspace.dir, scope, options.name));
  output.result({ key, id: record.id, scope: record.scope, name: record.name }, () =>
    [
      key,
      '',
      `A ${record.scope} key (id ${record.id}). It is shown only now: Strata keeps only its hash.`,
      record.scope === 'write'
        ? 'Use it as the write key of a Segment or RudderStack library pointed at `strata serve`.'
        : `Send it as a bearer token (Authorization: Bearer <key>).`,
    ].join('\n'),
  );
  return record;
}

const describe = (k: KeyRecord) => [
  k.id,
  k.scope,
  k.name,
  k.createdAt.slice(0, 19),
  k.revokedAt?.slice(0, 19) ?? '',
];

/** `strata keys list`: every key's id, scope, name and dates (never the key). */
export function runKeysList(options: KeysListInput, output: Output) {
  const workspace = loadWorkspace(options.workspace, { metricsOnly: true });
  const keys = readKeys(workspace.dir).map(({ sha256: _hash, ...rest }) => rest);
  output.result(keys, () =>
    keys.length === 0
      ? `no API keys yet: strata keys create --scope ${SCOPES.join('|')}`
      : formatTable(['id', 'scope', 'name', 'created', 'revoked'], readKeys(workspace.dir).map(describe)),
  );
  return keys;
}

/** `strata keys revoke <id>`: the key stops working (a running server notices within 5 s). */
export function runKeysRevoke(options: KeysRevokeInput, output: Output) {
  const workspace = loadWorkspace(options.workspace, { metricsOnly: true });
  const { sha256: _hash, ...record } = writingKeys(workspace.dir, () => revokeKey(workspace.dir, options.id));
  output.result(record, () => `revoked ${record.id} (${record.scope})`);
  return record;
}
