import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { StrataError } from '../errors.js';
import { textProblem } from '../ingest/storable-text.js';

/**
 * Most alias expansions strata.yaml may make, as the yaml library counts them (for each
 * anchor: its uses times the aliases inside it). Anchors shared by a few segments stay far
 * below; a "billion laughs" document (aliases of aliases) passes it after a few levels.
 */
export const MAX_YAML_ALIASES = 100;
/** Deepest nesting of mappings and lists; the language needs a dozen levels at most. */
export const MAX_YAML_DEPTH = 64;

export interface YamlDocument {
  readonly document: Document.Parsed;
  readonly counter: LineCounter;
  /** The document as plain values: mappings as objects, keys as strings. */
  readonly value: unknown;
}

interface Located {
  readonly range?: readonly [number, number, number] | null;
}

/**
 * Parses strata.yaml (or a definition version of it) into plain values. Everything a
 * hostile or broken file can do is a StrataError naming the file and line: syntax,
 * duplicate or non-text keys, a `__proto__` key (it would set an object's prototype
 * instead of naming something), text holding a NUL or a lone surrogate (as the ingestion
 * API refuses it), nesting deeper than MAX_YAML_DEPTH, an alias to no anchor, and aliases
 * that expand past MAX_YAML_ALIASES.
 */
export function readYaml(text: string, file: string): YamlDocument {
  const counter = new LineCounter();
  const fail = (message: string, at: Located | number | undefined): never => {
    const offset = typeof at === 'number' ? at : at?.range?.[0];
    const line = offset === undefined ? undefined : counter.linePos(offset).line;
    throw new StrataError('invalid_yaml', message, { file, ...(line ? { line } : {}) });
  };
  // Tags of YAML 1.1 (!!binary, !!set, !!timestamp) stay text: strata.yaml has no use for them.
  const document = parseDocument(text, { lineCounter: counter, prettyErrors: true, resolveKnownTags: false });
  const yamlError = document.errors[0];
  if (yamlError) {
    const firstLine = yamlError.message.split('\n')[0] ?? 'invalid YAML';
    // The parser recurses once per level: a very deep document overflows its stack.
    const message = /call stack/i.test(firstLine)
      ? `nested too deeply (more than ${MAX_YAML_DEPTH} levels)`
      : firstLine;
    fail(message, yamlError.pos[0]);
  }
  checkNodes(document, fail);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    fail(
      `YAML aliases expand too much (more than ${MAX_YAML_ALIASES} copies; aliases of aliases?)`,
      firstAlias(document),
    );
  }
  return { document, counter, value: value ?? {} };
}

/** Walks the nodes in document order without recursion (a deep document cannot overflow it). */
function checkNodes(document: Document.Parsed, fail: (message: string, at: Located) => never): void {
  const anchors = new Set<string>();
  const stack: { node: unknown; depth: number }[] = [{ node: document.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || node === undefined) continue;
    const located = node as Located & { anchor?: string };
    if (isAlias(node)) {
      if (!anchors.has(node.source))
        fail(`alias *${node.source} refers to no anchor &${node.source} above it`, node);
      continue;
    }
    if (located.anchor) anchors.add(located.anchor);
    // "\0" or "\ud800" in a quoted string: no name or value of the engines can hold it.
    if (isScalar(node) && typeof node.value === 'string') {
      const problem = textProblem(node.value);
      if (problem) fail(`${JSON.stringify(node.value).slice(0, 60)} ${problem}`, node);
    }
    if (isPair(node)) {
      // Keys are names: text or numbers (a list or mapping as a key would be made text).
      const key = node.key;
      if (!isScalar(key) || key.value === null || typeof key.value === 'object')
        fail(
          'a key must be a name (text or a number)',
          isScalar(key) || isAlias(key) || isMap(key) || isSeq(key) ? key : (node.value as Located),
        );
      if (key.value === '__proto__') fail(`'__proto__' cannot be a key in strata.yaml`, key);
      stack.push({ node: node.value, depth }, { node: node.key, depth });
    } else if (isMap(node) || isSeq(node)) {
      if (depth >= MAX_YAML_DEPTH) fail(`nested too deeply (more than ${MAX_YAML_DEPTH} levels)`, node);
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], depth: depth + 1 });
    }
  }
}

function firstAlias(document: Document.Parsed): Located | undefined {
  const stack: unknown[] = [document.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) return node;
    if (isPair(node)) stack.push(node.value, node.key);
    else if (isMap(node) || isSeq(node))
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
  }
  return undefined;
}
