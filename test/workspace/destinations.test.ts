import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * `destinations:` in strata.yaml: the README's example, as written there, loads into the starter
 * workspace; a destination naming what does not exist, or written for the wrong vendor, is
 * refused at its line with the reason.
 */
const root = tempDir();
let counter = 0;

/** The starter workspace with `destinations` appended, loaded (or its error). */
function load(destinations: string) {
  const dir = join(root, `ws${counter++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'strata.yaml'), `${saasWorkspaceYaml()}\n${destinations}`);
  try {
    return loadWorkspace(dir);
  } catch (error) {
    if (error instanceof StrataError) return error;
    throw error;
  }
}

const readmeBlock = () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const block = /```yaml\n(destinations:\n[\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README: the destinations block is missing');
  return block;
};

describe('destinations in strata.yaml', () => {
  it("loads the README's example into the starter workspace", () => {
    const workspace = load(readmeBlock());
    if (workspace instanceof StrataError) throw workspace;
    const { hubspot, salesforce } = workspace.config.destinations;
    expect(hubspot).toMatchObject({
      type: 'hubspot',
      object: 'companies',
      credentials: { token: 'HUBSPOT_TOKEN' },
      sync: 'schedule',
      maxAttempts: 5,
      group: 'strata',
    });
    expect(Object.keys(hubspot?.fields ?? {})).toEqual([
      'strata_segments',
      'strata_cs_tier',
      'strata_at_risk',
      'strata_health',
      'strata_next_action',
    ]);
    expect(salesforce).toMatchObject({ credentials: { instanceUrl: 'SF_INSTANCE_URL' }, match: {} });
  });

  it('refuses unknown names, the wrong object or field names for the vendor, and a Salesforce without its instance', () => {
    const refused = (yaml: string) => {
      const error = load(yaml);
      if (!(error instanceof StrataError)) throw new Error('expected an error');
      return `${error.location.line}: ${error.message}`;
    };
    const base = (rest: string) =>
      `destinations:\n  crm:\n    type: hubspot\n    object: companies\n    credentials: { token: T }\n${rest}`;
    const line = saasWorkspaceYaml().split('\n').length + 1;
    expect(refused(base('    fields: { strata_x: { segment: at_rsk } }\n'))).toMatch(
      new RegExp(`^${line + 5}: unknown segment 'at_rsk'.*at_risk`),
    );
    expect(refused(base('    fields: { strata_x: { metric: helth } }\n'))).toMatch(/unknown metric 'helth'/);
    expect(refused(base('    fields: { strata_x: { scheme: tiers } }\n'))).toMatch(/unknown scheme 'tiers'/);
    expect(refused(base('    fields: { Strata_X__c: segments }\n'))).toMatch(
      /expected a HubSpot internal name/,
    );
    expect(refused(base('    fields: {}\n'))).toMatch(/name at least one CRM property/);
    expect(
      refused(
        'destinations:\n  crm: { type: hubspot, object: Account, credentials: { token: T }, fields: { a: segments } }\n',
      ),
    ).toMatch(/a hubspot destination writes companies or contacts/);
    expect(
      refused(
        'destinations:\n  crm: { type: salesforce, object: Account, credentials: { token: T }, fields: { A__c: segments } }\n',
      ),
    ).toMatch(/names the environment variable holding its instance URL/);
    expect(
      refused(
        'destinations:\n  crm: { type: hubspot, object: companies, credentials: { token: lower }, fields: { a: segments } }\n',
      ),
    ).toMatch(/an environment variable name such as HUBSPOT_TOKEN/);
    // The starter workspace has no triggers: real time would never sync.
    expect(refused(base('    sync: realtime\n    fields: { strata_x: segments }\n'))).toBe(
      `${line + 5}: destination 'crm': sync: realtime writes an account when a trigger sees it enter or leave a segment, and strata.yaml declares no triggers (add one, or use sync: schedule)`,
    );
  });
});
