import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type * as Ipaddr from 'ipaddr.js';
import { type ErrorLocation, StrataError } from '../errors.js';
import type { WorkspaceFile } from './workspace-schema.js';

/**
 * Where webhooks may go. A receiver's URL is the user's, but its answers (a redirect, a
 * name that resolves to 127.0.0.1) could aim Strata's signed POSTs at the machine's own
 * services or a cloud's metadata endpoint (169.254.169.254). So only public unicast
 * addresses are reached unless a webhook says `allowPrivate: true`: checked here for
 * addresses written in strata.yaml, and by src/activate/webhook-request.ts for the
 * address each delivery actually connects to.
 */

// ipaddr.js is required only when there is an address to judge: loading strata.yaml (every
// command) would otherwise pay for it at start-up, with no webhook or one named by host.
const require = createRequire(import.meta.url);

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback',
  private: 'a private',
  uniqueLocal: 'a private (unique local)',
  linkLocal: 'a link-local',
  unspecified: 'an unspecified',
  carrierGradeNat: 'a carrier-grade NAT',
  multicast: 'a multicast',
  broadcast: 'a broadcast',
};

/**
 * What kind of non-public address `address` (an IPv4 or IPv6 literal) is, in words such as
 * "a loopback address", or null for a public unicast one. An IPv4-mapped IPv6 address
 * (::ffff:127.0.0.1) is judged as the IPv4 address it carries; NAT64, 6to4 and Teredo
 * addresses, which can carry any IPv4 address, count as non-public.
 */
export function nonPublicAddress(address: string): string | null {
  const ipaddr = require('ipaddr.js') as typeof Ipaddr;
  const range = ipaddr.process(address.replace(/%.*$/, '')).range();
  if (range === 'unicast') return null;
  return `${RANGE_WORDS[range] ?? `a reserved (${range})`} address`;
}

/** The host of a URL as an IP literal (IPv6 without its brackets), or null for a name. */
export function literalAddress(url: URL): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? host : null;
}

/**
 * Checks each webhook's URL when strata.yaml is loaded: http or https, no credentials in
 * it (receivers check the signature instead, and a password in a URL ends up in logs), and
 * no literal non-public address unless `allowPrivate`. Names are resolved and checked
 * at each delivery.
 */
export function checkWebhookTargets(
  webhooks: WorkspaceFile['webhooks'],
  locate: (path: (string | number)[]) => ErrorLocation,
): void {
  for (const [name, webhook] of Object.entries(webhooks)) {
    const at = locate(['webhooks', name, 'url']);
    const url = new URL(webhook.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new StrataError('invalid_webhook_url', `webhook '${name}': the url must be http or https`, at);
    if (url.username || url.password)
      throw new StrataError(
        'webhook_credentials',
        `webhook '${name}': the url holds credentials; remove them: a receiver authenticates Strata by the Strata-Signature header (the secret in secretEnv)`,
        at,
      );
    const address = literalAddress(url);
    const kind = address === null ? null : nonPublicAddress(address);
    if (kind !== null && !webhook.allowPrivate)
      throw new StrataError(
        'private_webhook_url',
        `webhook '${name}': ${url.hostname} is ${kind}; Strata sends webhooks only to public addresses unless the webhook says allowPrivate: true`,
        at,
      );
  }
}
