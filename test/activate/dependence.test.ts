import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { segmentDependence } from '../../src/activate/dependence.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('what can change a membership besides the account itself', () => {
  it("counts a roll-up's descendants as other accounts, as it counts a percentile's peers", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'strata.yaml'),
      `
metrics:
  group_mrr: { rollup: mrr, using: sum }
  mrr_rank: { percentile: mrr }
segments:
  big_group: { where: { metric: group_mrr, gte: 1000 } }
  top: { where: { metric: mrr_rank, gte: 90 } }
  payer: { where: { metric: mrr, gte: 1 } }
`,
    );
    const workspace = loadWorkspace(dir);
    expect(segmentDependence(workspace, ['big_group'])).toEqual({ time: false, others: true });
    expect(segmentDependence(workspace, ['top'])).toEqual({ time: false, others: true });
    expect(segmentDependence(workspace, ['payer'])).toEqual({ time: false, others: false });
  });
});
