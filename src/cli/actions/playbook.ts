import { writeFileSync } from 'node:fs';
import {
  accountActions,
  type PlannedAction,
  playbookWorklist,
  strategyMatrix,
} from '../../activate/playbooks.js';
import { formulaSafeText } from '../../dialect/formula-safe.js';
import { StrataError } from '../../errors.js';
import { formatKind, money, signedKind } from '../../format/numbers.js';
import { type MetricKind, metricKind } from '../../language/metric-kinds.js';
import { ownValue } from '../../own-key.js';
import type { PlaybookInput } from '../commands/playbook.js';
import { count, formatTable, type Output } from '../output.js';
import { withWorkspace } from '../workspace-session.js';

/** `strata playbook <segment>`: the segment's members, priority first, with their next action. */
export async function runPlaybook(options: PlaybookInput, output: Output) {
  const { segment, run } = options;
  if (options.account !== undefined) {
    if (segment !== undefined || options.matrix)
      throw new StrataError(
        'invalid_argument',
        "--account shows one account's next actions: give it without a segment or --matrix",
      );
    return runAccount({ ...options, account: options.account }, output);
  }
  if (options.matrix || segment === undefined) {
    const { workspace, format, out } = options;
    return runMatrix(
      { workspace, format, ...(out ? { out } : {}), ...(run === undefined ? {} : { run }) },
      output,
    );
  }
  return withWorkspace(options.workspace, async (store, workspace) => {
    const list = await playbookWorklist(store, workspace, segment, {
      limit: options.limit,
      offset: options.offset,
      ...(run === undefined ? {} : { run }),
    });
    const metrics = list.playbook.successMetrics ?? [];
    const currency = workspace.config.settings.currency;
    const kinds = metrics.map((k) => metricKind(k, workspace.metrics));
    // A change (mrr_change_90d) carries its sign: +$120.00, -$33.15.
    const signed = metrics.map((k) => ownValue(workspace.metrics, k)?.kind === 'change');
    output.result(list, () =>
      [
        [
          `${segment}: ${count(list.accounts)} accounts (run ${list.runId}), owner ${list.playbook.owner}`,
          list.playbook.touch
            ? `touch ${list.playbook.touch}${list.ownersNeeded === null ? '' : ` -> ${list.ownersNeeded} owner${list.ownersNeeded === 1 ? '' : 's'} needed`}`
            : null,
          list.playbook.cadence ?? null,
          list.playbook.channels ? `via ${list.playbook.channels.join(', ')}` : null,
        ]
          .filter(Boolean)
          .join(', '),
        ...(list.playbook.offers?.length
          ? [
              `offers: ${list.playbook.offers.map((o) => (typeof o === 'string' ? o : `${o.kind} ${o.offer}`)).join('; ')}`,
            ]
          : []),
        '',
        formatTable(
          ['account', 'name', 'mrr', 'next action', 'channel', 'due', 'this action is', ...metrics],
          rightAligned(
            list.members.map((m) => [
              m.account_id,
              m.name ?? '',
              m.mrr === null ? '' : money(m.mrr, currency),
              m.action,
              m.channel,
              m.due,
              m.primary ? 'primary' : `secondary to ${m.primarySegment}'s`,
              ...metrics.map((k, j) =>
                cell(ownValue(m.metrics, k), kinds[j] ?? 'number', currency, signed[j] ?? false),
              ),
            ]),
            [2, ...metrics.map((_, j) => 7 + j)],
            ['account', 'name', 'mrr', 'next action', 'channel', 'due', 'this action is', ...metrics],
          ),
        ),
      ].join('\n'),
    );
    return list;
  });
}

/** A metric's value as its kind reads (text metrics as they are, missing ones empty). */
function cell(value: unknown, kind: MetricKind, currency: string, signed: boolean): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'number' || kind === 'text') return String(value);
  return (signed ? signedKind : formatKind)(value, kind, currency);
}

/**
 * Rows with the cells of `columns` padded on the left to the column's width, so formatted
 * numbers (text, which formatTable leaves aligned left) line up on their last digit.
 */
function rightAligned(rows: string[][], columns: readonly number[], headers: readonly string[]): string[][] {
  const widths = columns.map((c) =>
    Math.max((headers[c] ?? '').length, ...rows.map((r) => (r[c] ?? '').length)),
  );
  return rows.map((row) =>
    row.map((text, i) => {
      const k = columns.indexOf(i);
      return k === -1 ? text : text.padStart(widths[k] ?? 0);
    }),
  );
}

/** `strata playbook --account <id> [--run N]`: the account's primary next action, then the secondary ones. */
async function runAccount(options: PlaybookInput & { account: string }, output: Output) {
  return withWorkspace(options.workspace, async (store, workspace) => {
    const actions = await accountActions(store, workspace, options.account, options.run);
    const { primary, secondary, rule } = actions.nextAction;
    const row = (role: string, a: PlannedAction) => [
      role,
      a.segment,
      a.action,
      a.channel,
      a.due,
      a.owner,
      a.reason,
    ];
    output.result(actions, () =>
      [
        `${actions.account_id}${actions.name ? ` (${actions.name})` : ''} in run ${actions.runId}, as of ${actions.asOf.slice(0, 10)}`,
        primary
          ? formatTable(
              ['', 'segment', 'next action', 'channel', 'due', 'owner', 'why here'],
              [row('primary', primary), ...secondary.map((a) => row('secondary', a))],
            )
          : 'no segment of this account has a playbook: no next action',
        '',
        rule,
      ].join('\n'),
    );
    return actions;
  });
}

const COLUMNS = [
  ['segment', 'segment'],
  ['framework', 'framework'],
  ['accounts', 'accounts'],
  ['mrr', 'MRR'],
  ['owner', 'owner'],
  ['touch', 'touch'],
  ['ownersNeeded', 'owners needed'],
  ['cadence', 'cadence'],
  ['channels', 'channels'],
  ['goal', 'goal'],
  ['message', 'message'],
  ['offers', 'offers'],
  ['successMetrics', 'success metrics'],
] as const;

/** `strata playbook --matrix [--format md|csv] [--out F]`: the strategy matrix. */
async function runMatrix(
  options: { workspace: string; format: PlaybookInput['format']; out?: string; run?: number },
  output: Output,
) {
  return withWorkspace(options.workspace, async (store, workspace) => {
    const matrix = await strategyMatrix(store, workspace, options.run);
    const cells = matrix.rows.map((row) => COLUMNS.map(([key]) => String(row[key] ?? '')));
    const headers = COLUMNS.map(([, label]) => label);
    const text =
      options.format === 'csv'
        ? [headers, ...cells].map((line) => line.map(csvField).join(',')).join('\n')
        : options.format === 'md'
          ? [
              `| ${headers.join(' | ')} |`,
              `|${headers.map(() => '---').join('|')}|`,
              ...cells.map((line) => `| ${line.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`),
            ].join('\n')
          : formatTable(headers, cells);
    if (options.out) writeFileSync(options.out, `${text}\n`);
    output.result({ ...matrix, ...(options.out ? { out: options.out } : {}) }, () =>
      options.out ? `wrote the strategy matrix (${matrix.rows.length} playbooks) to ${options.out}` : text,
    );
    return matrix;
  });
}

/**
 * A CSV field, formula-safe (src/dialect/formula-safe.ts), quoted when it holds a comma,
 * quote or line break (RFC 4180).
 */
function csvField(cell: string): string {
  const value = formulaSafeText(cell);
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
