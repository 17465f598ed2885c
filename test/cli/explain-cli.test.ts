import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/demo/generate-world.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/* `strata explain` on a generated world with one run: its verdicts are the run's memberships. */
const dir = tempDir();

beforeAll(async () => {
  const world = await generateWorld({ scale: 'S', seed: 3, outDir: join(dir, 'data'), accounts: 300 });
  const sources = Object.fromEntries(Object.entries(world.files).map(([t, f]) => [t, join('data', f)]));
  writeFileSync(join(dir, 'strata.yaml'), saasWorkspaceYaml(sources));
  expect(runCli(['import', '-w', dir]).code).toBe(0);
  expect(runCli(['run', '-w', dir, '--as-of', '2026-10-31']).code).toBe(0);
});

interface Explained {
  segments: { segment: string; member: boolean; storedMember: boolean | null }[];
  schemes: { scheme: string; primary: string; storedPrimary: string | null }[];
}

describe('strata explain', () => {
  it("agrees with the run's member lists and primary segments, and prints the tree", () => {
    const members = (id: string) =>
      new Set(
        runCli(['segments', 'members', id, '-w', dir, '--limit', '1000', '--json'])
          .json<{ members: { account_id: string }[] }>()
          .members.map((m) => m.account_id),
      );
    const atRisk = members('at_risk');
    const paying = [...members('paying')].slice(0, 3);
    for (const account of [...[...atRisk].slice(0, 2), ...paying]) {
      const explained = runCli(['explain', account, '-w', dir, '--json']).json<Explained>();
      expect(explained.segments.find((s) => s.segment === 'at_risk')?.member, account).toBe(
        atRisk.has(account),
      );
      expect(explained.segments.every((s) => s.storedMember === null)).toBe(true);
      for (const scheme of explained.schemes) expect(scheme.primary).toBe(scheme.storedPrimary);
    }
    const text = runCli(['explain', paying[0] ?? '', 'at_risk', '-w', dir]).stdout;
    expect(text).toMatch(/^at_risk: (IN|out) \(parent paying: in\)$/m);
    expect(text).toMatch(/metric health = [\d.]+, needs < 40 {3}\[where\.any\[0\]\]/);
    expect(text).toMatch(/sessions_30d = [\d.]+ \(bad 2, good 20, weight 0\.35\): [\d.]+ points/);
  });

  it('exits non-zero on an unknown account or segment', () => {
    const unknown = runCli(['explain', 'nobody', '-w', dir]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no account 'nobody'/);
    expect(runCli(['explain', 'nobody', 'at_rsk', '-w', dir]).stderr).toMatch(/unknown segment 'at_rsk'/);
  });
});
