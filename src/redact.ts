import { isScalar, parseDocument, Scalar, visit } from 'yaml';

/**
 * Secrets out of text that Strata stores, prints or logs: the credentials of a URL
 * (`https://user:pass@host` becomes `https://***@host`), query parameters named like a
 * secret (`?password=`, `?token=`, `?api_key=`, `?sig=`), and, in strata.yaml, the value
 * of a key named like one (`password:`, `apiToken:`; `secretEnv` only names a variable).
 * Applied to definitions before they are kept and again when read (versions kept before
 * redaction existed), to webhook errors, and to every error the CLI prints.
 */

/** What a secret is replaced by. */
export const REDACTED = '***';

/** A URL in free text: a scheme, `//`, then anything up to whitespace, a quote or a bracket. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
/** The userinfo: the authority (up to the first `/`, `?` or `#`) up to its last `@`. */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;
/** A query parameter named like a secret (`password=`, `access_token=`, `api_key=`, `sig=`): its value. */
const SECRET_PARAMETER = /([?&;][^=&#\s]*(?:pass|secret|token|key|auth|sig|credential)[^=&#\s]*=)[^&;#\s]*/gi;
/** Keys of strata.yaml whose string value is a secret (those ending in `Env` name a variable instead). */
const SECRET_KEY = /(?:password|passwd|secret|token|api[-_]?key|credentials?)$/i;

/** `url` (one whole URL, which may hold quotes) with its credentials and secret parameters replaced. */
function redactUrl(url: string): string {
  return url.replace(USERINFO, `$1${REDACTED}@`).replace(SECRET_PARAMETER, `$1${REDACTED}`);
}

/** `text` with the credentials of every URL in it replaced by `***`; other text is left as it is. */
export function redactSecrets(text: string): string {
  return text.replace(URL_IN_TEXT, redactUrl);
}

/**
 * The text of a strata.yaml with its secrets replaced, otherwise as written (comments,
 * order, layout): each quoted or plain value holding one is written again as a
 * double-quoted string, so even YAML escapes cannot hide a password; then the whole text
 * (comments, block scalars) goes through `redactSecrets`.
 */
export function redactDefinition(text: string): string {
  const document = parseDocument(text);
  const edits: { start: number; end: number; value: string }[] = [];
  if (document.errors.length === 0)
    visit(document, {
      // A pair is visited before its value, so a secret key's value is taken whole.
      Pair(_, pair) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (isScalar(pair.value) && typeof pair.value.value === 'string' && SECRET_KEY.test(key))
          edit(pair.value, REDACTED);
      },
      Scalar(_, node) {
        // A value that is one URL is taken whole (a quote may sit in its password), then any URL in it.
        if (typeof node.value === 'string') edit(node, redactSecrets(redactUrl(node.value)));
      },
    });
  function edit(node: Scalar, value: string) {
    const inline = [Scalar.PLAIN, Scalar.QUOTE_DOUBLE, Scalar.QUOTE_SINGLE].includes(node.type as never);
    if (value === node.value || !inline || !node.range) return;
    if (edits.some((e) => e.start === node.range?.[0])) return;
    edits.push({ start: node.range[0], end: node.range[1], value: JSON.stringify(value) });
  }
  let redacted = text;
  for (const { start, end, value } of edits.sort((a, b) => b.start - a.start))
    redacted = redacted.slice(0, start) + value + redacted.slice(end);
  return redactSecrets(redacted);
}
