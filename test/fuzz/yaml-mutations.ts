import fc from 'fast-check';
import {
  Alias,
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  YAMLMap,
} from 'yaml';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';

/**
 * Mutations of the strata.yaml that `strata init` writes, for the fuzz tests: each case is
 * a short list of edits made to the parsed document (delete, retype or rename a key, put a
 * hostile name where a name is expected, nest a condition deeply, anchor and alias nodes)
 * and then to its text (a line duplicated, a snippet of YAML syntax inserted, the file cut
 * short, an alias bomb appended). A failing case is reported as its YAML text.
 */

/** The template with every section filled, so that each part of the schema can be mutated. */
export const BASE_YAML = `${saasWorkspaceYaml({ accounts: 'data/accounts.csv', events: 'data/events.parquet' })}
triggers:
  risk: { segments: [at_risk], events: [session_start], traits: [plan] }
webhooks:
  crm: { url: "https://crm.example.com/hook", secretEnv: CRM_SECRET, triggers: [risk], schedules: [nightly] }
schedules:
  nightly: { cron: "0 2 * * *" }
rfm: { recency: last_seen_days, frequency: sessions_30d, monetary: mrr }
quality: { coverage: 0.8, segments: { enterprise: 0.95 }, freshness: { events: daily } }
funnels:
  activation: { steps: [signup, dashboard_created, alert_set], within: 30d }
settings: { minSegmentSize: 10, staleRuns: 5, substantialSize: 300 }
`;

/** Names that break naive code: inherited members, empty and huge names, quotes, NUL, unicode, SQL. */
export const HOSTILE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'prototype',
  '',
  ' ',
  '\t',
  'x'.repeat(5000),
  'é',
  '🚀',
  'two words',
  "it's",
  '"quoted"',
  'back\\slash',
  "x' OR 1=1 --",
  'a\u0000b',
  '\u2028',
  '\ufeff',
  '0',
  '-1',
  'null',
  'true',
  '~',
  '=cmd',
  '{{x}}',
  '%s',
  'NaN',
] as const;

/** Values of every YAML type, including sizes no field expects. */
const VALUES: readonly unknown[] = [
  0,
  -1,
  1.5,
  2 ** 53 + 1,
  1e308,
  Number.POSITIVE_INFINITY,
  Number.NaN,
  true,
  null,
  [],
  {},
  [[[1]]],
  { a: { b: { c: 1 } } },
  ...HOSTILE_NAMES,
];

/** Bits of YAML syntax inserted anywhere in the text. */
const SNIPPETS = [
  ':',
  ': ',
  '- ',
  '{',
  '}',
  '[',
  ']',
  ',',
  '&anchor ',
  '*anchor',
  '*missing',
  '!!binary ',
  '!!set ',
  '!custom ',
  '%YAML 1.1\n',
  '\t',
  '"',
  "'",
  '#',
  '\n',
  '\n---\n',
  '? ',
  '<<: *anchor\n',
  '\u0000',
  '\ufeff',
  '\u2028',
  '🚀',
  'é',
  '\r\n',
  '  ',
  '|\n',
  '>-\n',
  '0x1F',
  '1e999',
  '.nan',
  '-.inf',
] as const;

/** Nine aliases of nine aliases of ...: a billion laughs in a few lines. */
function aliasBomb(levels: number): string {
  const lines = ['lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= levels; i++)
    lines.push(
      `lol${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

export type Edit =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'retype'; readonly at: number; readonly value: number }
  | { readonly kind: 'rename'; readonly at: number; readonly name: number }
  | { readonly kind: 'hostileValue'; readonly at: number; readonly name: number }
  | { readonly kind: 'renameDeclared'; readonly at: number; readonly name: number }
  | { readonly kind: 'nest'; readonly at: number; readonly depth: number }
  | { readonly kind: 'alias'; readonly at: number; readonly to: number }
  | { readonly kind: 'duplicateLine'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly snippet: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'bomb'; readonly levels: number };

const index = fc.nat({ max: 100_000 });
const hostile = fc.nat({ max: HOSTILE_NAMES.length - 1 });
// Edits of the document are the most likely: text edits mostly end at the YAML parser.
export const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: index }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('retype' as const),
      at: index,
      value: fc.nat({ max: VALUES.length - 1 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rename' as const), at: index, name: hostile }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('hostileValue' as const), at: index, name: hostile }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('renameDeclared' as const), at: index, name: hostile }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('nest' as const),
      at: index,
      depth: fc.integer({ min: 1, max: 120 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('alias' as const), at: index, to: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicateLine' as const), at: index }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: index,
      snippet: fc.nat({ max: SNIPPETS.length - 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: index }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('bomb' as const), levels: fc.integer({ min: 1, max: 8 }) }),
  },
);
/** One to four edits: enough to reach most error paths, few enough to read a failure. */
export const editsArb = fc.array(editArb, { minLength: 1, maxLength: 4 });

/** Every node of the document, in document order (pairs stand for their key). */
function nodesOf(document: Document): { node: Node; parent: YAMLMap | null; pair: unknown }[] {
  const found: { node: Node; parent: YAMLMap | null; pair: unknown }[] = [];
  const walk = (node: unknown, parent: YAMLMap | null, pair: unknown) => {
    if (!node || typeof node !== 'object') return;
    found.push({ node: node as Node, parent, pair });
    if (isMap(node)) for (const item of node.items) walk(item.value, node, item);
    else if (isSeq(node)) for (const item of node.items) walk(item, null, null);
  };
  walk(document.contents, null, null);
  return found;
}

const pick = <T>(items: readonly T[], at: number): T | undefined =>
  items.length === 0 ? undefined : items[at % items.length];

const BASE_DOCUMENT = parseDocument(BASE_YAML);

/** The base text with the edits made, in order. */
export function mutate(edits: readonly Edit[]): string {
  const document = BASE_DOCUMENT.clone();
  // New collections are written in flow style, so they fit inside the flow maps around them.
  const node = (value: unknown) => document.createNode(value, { flow: true });
  const textual: Edit[] = [];
  let anchors = 0;
  for (const edit of edits) {
    const nodes = nodesOf(document);
    const pairs = nodes.filter((n) => n.parent !== null && isPair(n.pair));
    switch (edit.kind) {
      case 'delete': {
        const target = pick(pairs, edit.at);
        if (target?.parent && isPair(target.pair))
          target.parent.items.splice(target.parent.items.indexOf(target.pair), 1);
        break;
      }
      case 'retype': {
        const target = pick(pairs, edit.at);
        if (target && isPair(target.pair)) target.pair.value = node(VALUES[edit.value]);
        break;
      }
      case 'rename': {
        const target = pick(pairs, edit.at);
        if (target && isPair(target.pair)) target.pair.key = node(HOSTILE_NAMES[edit.name]);
        break;
      }
      case 'hostileValue': {
        const scalars = nodes.filter(
          (n) => isScalar(n.node) && typeof (n.node as { value: unknown }).value === 'string',
        );
        const target = pick(scalars, edit.at);
        if (target) (target.node as { value: unknown }).value = HOSTILE_NAMES[edit.name];
        break;
      }
      case 'renameDeclared': {
        // A segment or metric renamed everywhere it is named: the workspace still holds together.
        const declared = ['segments', 'metrics'].flatMap((section) => {
          const map = document.get(section, true);
          return isMap(map) ? map.items : [];
        });
        const target = pick(declared, edit.at);
        const old = isScalar(target?.key) ? target.key.value : undefined;
        if (target && typeof old === 'string') {
          const name = HOSTILE_NAMES[edit.name];
          target.key = node(name);
          for (const n of nodes)
            if (isScalar(n.node) && n.node.value === old) (n.node as { value: unknown }).value = name;
          for (const n of nodes)
            if (isMap(n.node))
              for (const item of n.node.items)
                if (isScalar(item.key) && item.key.value === old && item !== target) item.key = node(name);
        }
        break;
      }
      case 'nest': {
        const maps = nodes.filter((n) => isMap(n.node) && isPair(n.pair));
        const target = pick(maps, edit.at);
        if (target && isPair(target.pair)) {
          let node: unknown = target.pair.value;
          for (let i = 0; i < edit.depth; i++) {
            const wrapper = new YAMLMap();
            wrapper.flow = true;
            wrapper.set('not', node);
            node = wrapper;
          }
          target.pair.value = node;
        }
        break;
      }
      case 'alias': {
        const anchored = pick(nodes, edit.at);
        const replaced = pick(pairs, edit.to);
        if (anchored && replaced && isPair(replaced.pair) && !(anchored.node instanceof Alias)) {
          const name = `a${anchors++}`;
          (anchored.node as { anchor?: string }).anchor = name;
          replaced.pair.value = new Alias(name);
        }
        break;
      }
      default:
        textual.push(edit);
    }
  }
  // An alias placed before its anchor is written as it is: the loader must report it.
  let text = document.toString({ lineWidth: 0, verifyAliasOrder: false });
  for (const edit of textual) {
    switch (edit.kind) {
      case 'duplicateLine': {
        const lines = text.split('\n');
        const at = edit.at % Math.max(lines.length, 1);
        lines.splice(at, 0, lines[at] ?? '');
        text = lines.join('\n');
        break;
      }
      case 'insert': {
        const at = edit.at % (text.length + 1);
        text = `${text.slice(0, at)}${SNIPPETS[edit.snippet]}${text.slice(at)}`;
        break;
      }
      case 'truncate':
        text = text.slice(0, edit.at % (text.length + 1));
        break;
      case 'bomb':
        text = `${text}${aliasBomb(edit.levels)}`;
        break;
      default:
        break;
    }
  }
  return text;
}
