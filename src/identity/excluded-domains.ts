import { createRequire } from 'node:module';

/** Why the domain rule does not look at a domain. */
export type ExclusionReason = 'excluded' | 'disposable' | 'free_mail';

// The packages are JSON lists (CommonJS); read once, when the first domain is classified.
const require = createRequire(import.meta.url);
let lists: { free: ReadonlySet<string>; disposable: ReadonlySet<string> } | undefined;
function packageLists() {
  lists ??= {
    free: new Set(require('free-email-domains') as string[]),
    disposable: new Set(require('disposable-email-domains') as string[]),
  };
  return lists;
}

/** `domain` and each domain it is under: mail.acme.co.uk, acme.co.uk, co.uk (not the last label alone). */
function selfAndParents(domain: string): string[] {
  const labels = domain.split('.');
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
}

/**
 * Why `domain` (lower case) is excluded, or null when the domain rule may match it. A subdomain
 * of an excluded domain is excluded too (mail.yahoo.co.uk as yahoo.co.uk). The workspace's own
 * list is asked first, then the disposable list, then the free-mail one: the free-mail package
 * also holds many disposable domains, and "disposable" says more.
 */
/**
 * `exclusionOf` remembered per workspace list: every evaluation and every applied batch
 * classifies the users' domains again, and most were classified before. Bounded: a cache
 * past 1,000,000 domains starts again.
 */
const remembered = new Map<string, Map<string, ExclusionReason | null>>();
export function cachedExclusionOf(
  domain: string,
  excludeDomains: ReadonlySet<string>,
): ExclusionReason | null {
  const key = [...excludeDomains].sort().join(',');
  let cache = remembered.get(key);
  if (!cache || cache.size > 1_000_000) {
    if (remembered.size > 16) remembered.clear();
    cache = new Map();
    remembered.set(key, cache);
  }
  const known = cache.get(domain);
  if (known !== undefined) return known;
  const reason = exclusionOf(domain, excludeDomains);
  cache.set(domain, reason);
  return reason;
}

export function exclusionOf(domain: string, excludeDomains: ReadonlySet<string>): ExclusionReason | null {
  const { free, disposable } = packageLists();
  const candidates = selfAndParents(domain);
  if (candidates.some((d) => excludeDomains.has(d))) return 'excluded';
  if (candidates.some((d) => disposable.has(d))) return 'disposable';
  if (candidates.some((d) => free.has(d))) return 'free_mail';
  return null;
}
