import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepDefinition, readDefinition } from '../src/engine/definition-versions.js';
import { workspaceHash } from '../src/engine/run-workspace.js';
import { redactDefinition, redactSecrets } from '../src/redact.js';
import { DuckDBStore } from '../src/store/duckdb/duckdb-store.js';
import { loadWorkspace } from '../src/workspace/load-workspace.js';
import { sql, testSql } from './helpers/sql.js';
import { tempDir } from './helpers/temp-dir.js';

const SECRET = 's3cr3t-PLANTED-7f2';

describe('redactSecrets', () => {
  it('replaces the credentials of every URL in free text, and secret query parameters', () => {
    expect(
      redactSecrets(
        `cannot reach http://strata:${SECRET}@ch-1:8123/db and https://tok3n@hooks.example.com/a@b?x=1&api_key=${SECRET}&sig=9; mail bob@example.com`,
      ),
    ).toBe(
      'cannot reach http://***@ch-1:8123/db and https://***@hooks.example.com/a@b?x=1&api_key=***&sig=***; mail bob@example.com',
    );
    // An @ in a path or a query is not userinfo; URLs inside JSON stop at their quote.
    expect(redactSecrets('{"url":"https://h.example.com/p@q","next":"http://u:p@h"}')).toBe(
      '{"url":"https://h.example.com/p@q","next":"http://***@h"}',
    );
    expect(redactSecrets('no URL here: user:pass@host')).toBe('no URL here: user:pass@host');
  });
});

describe('redactDefinition', () => {
  it('keeps strata.yaml as written but for its secrets, however the YAML spells them', () => {
    const text = `# was http://old:${SECRET}@ch-0:8123
store:
  engine: clickhouse
  url: "http://strata:${SECRET}@ch-1:8123"   # the first shard
  database: strata
  cluster: analytics
  shards: [http://strata:${SECRET}@ch-1:8123, 'http://strata:it''s-${SECRET}@ch-2:8123']
playbooks:
  risky: { owner: cs, apiToken: ${SECRET}, message: "see https://docs.example.com/a@b" }
`;
    // Worked by hand: each value holding a secret is written again double-quoted.
    expect(redactDefinition(text)).toBe(`# was http://***@ch-0:8123
store:
  engine: clickhouse
  url: "http://***@ch-1:8123"   # the first shard
  database: strata
  cluster: analytics
  shards: ["http://***@ch-1:8123", "http://***@ch-2:8123"]
playbooks:
  risky: { owner: cs, apiToken: "***", message: "see https://docs.example.com/a@b" }
`);
    // A double-quoted YAML escape (\\x40 is @) cannot hide the userinfo either.
    expect(
      redactDefinition('store: { engine: clickhouse, url: "http://u:p\\x40ss@h:1", database: d }\n'),
    ).toBe('store: { engine: clickhouse, url: "http://***@h:1", database: d }\n');
  });
});

describe('kept definitions', () => {
  const dir = tempDir();
  let store: DuckDBStore;
  beforeAll(async () => {
    store = await DuckDBStore.open(join(dir, 'strata.duckdb'));
  });
  afterAll(() => store.close());

  const workspaceWith = (name: string, password: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(
      join(dir, name, 'strata.yaml'),
      `store: { engine: clickhouse, url: "http://strata:${password}@127.0.0.1:8123", database: strata }\nsegments:\n  all: { where: { trait: plan, exists: true } }\n`,
    );
    return loadWorkspace(join(dir, name));
  };

  it('are stored and read without their secrets, and a new password is no new version', async () => {
    const workspace = workspaceWith('a', SECRET);
    const hash = workspaceHash(workspace);
    expect(hash).toBe(workspaceHash(workspaceWith('b', 'another-password')));
    await keepDefinition(store, hash, workspace.text);
    const [stored] = await store.query<{ text: string }>(sql`SELECT text FROM strata_definitions`);
    const redacted = `store: { engine: clickhouse, url: "http://***@127.0.0.1:8123", database: strata }\nsegments:\n  all: { where: { trait: plan, exists: true } }\n`;
    expect(stored?.text).toBe(redacted);
    expect(await readDefinition(store, hash)).toBe(redacted);
    // A version kept verbatim by an older Strata is redacted when read.
    await store.execute(
      testSql(
        `INSERT INTO strata_definitions (workspace_hash, text, created_at) VALUES ('old', ${store.dialect.literal(workspace.text)}, now())`,
      ),
    );
    expect(await readDefinition(store, 'old')).toBe(redacted);
    // The redacted text still loads (a past run explained by its own definition).
    expect(loadWorkspace(dir, { text: redacted }).segments.map((s) => s.id)).toEqual(['all']);
  });
});
