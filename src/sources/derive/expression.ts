import jsep from 'jsep';

/**
 * The syntax of a derived column (`derive:` in a source of strata.yaml): one expression in
 * the familiar spreadsheet-and-JavaScript notation, parsed by jsep (a small, maintained
 * expression parser) into the few node kinds below. What the nodes mean (column names,
 * functions, types) is decided by compile-derive.ts; here only the shape is checked.
 */

export type Expression =
  | { readonly kind: 'column'; readonly name: string }
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'field'; readonly of: Expression; readonly path: readonly (string | number)[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expression[] }
  | { readonly kind: 'unary'; readonly operator: '-' | '!' | '+'; readonly argument: Expression }
  | {
      readonly kind: 'binary';
      readonly operator: BinaryOperator;
      readonly left: Expression;
      readonly right: Expression;
    }
  | {
      readonly kind: 'conditional';
      readonly test: Expression;
      readonly consequent: Expression;
      readonly otherwise: Expression;
    };

export const BINARY_OPERATORS = [
  '+',
  '-',
  '*',
  '/',
  '%',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '&&',
  '||',
] as const;
export type BinaryOperator = (typeof BINARY_OPERATORS)[number];

/** Longer expressions are refused: a derived column is a formula, not a program. */
export const MAX_EXPRESSION_LENGTH = 2000;
/** Deeper nesting is refused before it can exhaust the stack of the compiler or of DuckDB. */
const MAX_DEPTH = 64;

/** A problem with an expression, said in words; the caller adds the source and column. */
export class ExpressionError extends Error {}

// jsep's defaults include operators Strata does not give a meaning to (bitwise, ===).
for (const operator of ['|', '^', '&', '===', '!==', '<<', '>>', '>>>', '??']) jsep.removeBinaryOp(operator);
jsep.removeUnaryOp('~');
// `Churn = 'Yes'` as people write it in SQL and spreadsheets: the same as `==`.
jsep.addBinaryOp('=', 6);

/** Parses one expression, or throws an ExpressionError saying what is wrong and where. */
export function parseExpression(text: string): Expression {
  if (text.length > MAX_EXPRESSION_LENGTH)
    throw new ExpressionError(
      `is ${text.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are allowed`,
    );
  if (text.trim() === '') throw new ExpressionError('is empty');
  // jsep reads \u0041 as the letter u and 0041: refused rather than silently changed.
  if (/\\[ux]/.test(text))
    throw new ExpressionError('has a \\u or \\x escape, which is not read; write the character itself');
  let tree: jsep.Expression;
  try {
    tree = jsep(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ExpressionError(
      `cannot be read: ${message.replace(/ at character (\d+)$/, ' at character $1')}`,
    );
  }
  return convert(tree, 0);
}

function convert(node: jsep.Expression, depth: number): Expression {
  if (depth > MAX_DEPTH) throw new ExpressionError(`nests deeper than ${MAX_DEPTH} levels`);
  const next = (child: jsep.Expression) => convert(child, depth + 1);
  switch (node.type) {
    case 'Identifier': {
      const name = String(node.name);
      if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true' };
      if (name === 'null') return { kind: 'literal', value: null };
      return { kind: 'column', name };
    }
    case 'Literal': {
      const value = node.value;
      if (
        typeof value === 'string' ||
        typeof value === 'number' ||
        typeof value === 'boolean' ||
        value === null
      )
        return { kind: 'literal', value };
      throw new ExpressionError(`has a literal Strata cannot use: ${String(node.raw)}`);
    }
    case 'MemberExpression':
      return member(node as jsep.MemberExpression, next);
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      if (call.callee.type !== 'Identifier')
        throw new ExpressionError('calls something that is not a function name (write name(arguments))');
      return { kind: 'call', name: String(call.callee.name), args: call.arguments.map(next) };
    }
    case 'UnaryExpression': {
      const unary = node as jsep.UnaryExpression;
      if (unary.operator !== '-' && unary.operator !== '!' && unary.operator !== '+')
        throw new ExpressionError(`uses the operator '${unary.operator}', which Strata does not know`);
      return { kind: 'unary', operator: unary.operator, argument: next(unary.argument) };
    }
    case 'BinaryExpression': {
      const binary = node as jsep.BinaryExpression;
      const operator = binary.operator === '=' ? '==' : binary.operator;
      if (!(BINARY_OPERATORS as readonly string[]).includes(operator))
        throw new ExpressionError(`uses the operator '${binary.operator}', which Strata does not know`);
      return {
        kind: 'binary',
        operator: operator as BinaryOperator,
        left: next(binary.left),
        right: next(binary.right),
      };
    }
    case 'ConditionalExpression': {
      const conditional = node as jsep.ConditionalExpression;
      return {
        kind: 'conditional',
        test: next(conditional.test),
        consequent: next(conditional.consequent),
        otherwise: next(conditional.alternate),
      };
    }
    case 'Compound':
      throw new ExpressionError('holds several expressions; a derived column is one expression');
    default:
      throw new ExpressionError(
        `has a ${node.type.replace(/Expression$/, '').toLowerCase()}, which Strata does not use`,
      );
  }
}

/** `a.b[0].c` as one field access: the column or expression `a`, then a path of keys and indexes. */
function member(node: jsep.MemberExpression, next: (child: jsep.Expression) => Expression): Expression {
  const path: (string | number)[] = [];
  let at: jsep.Expression = node;
  while (at.type === 'MemberExpression') {
    const step = at as jsep.MemberExpression;
    const property = step.property;
    if (!step.computed && property.type === 'Identifier') path.unshift(String(property.name));
    else if (step.computed && property.type === 'Literal' && typeof property.value === 'number') {
      if (!Number.isInteger(property.value) || property.value < 0)
        throw new ExpressionError(`indexes a list with ${String(property.raw)}; use a whole number from 0`);
      path.unshift(property.value);
    } else if (step.computed && property.type === 'Literal' && typeof property.value === 'string')
      path.unshift(property.value);
    else throw new ExpressionError('reads a field with a computed name; write a.b, a["b c"] or a[0]');
    at = step.object;
  }
  return { kind: 'field', of: next(at), path };
}
