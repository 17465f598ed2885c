import { z } from 'zod';

/*
 * The identity report's answer (GET /v1/identity, src/identity/identity-report.ts), as
 * `strata identity report --json` writes it. Only zod is imported (the dashboard's types); the
 * rules and reasons are spelt out here, and the route's typed handler fails to compile if
 * src/identity grows one this list lacks.
 */

const Rule = z.enum(['explicit', 'domain']);
const Reason = z.enum(['free_mail', 'disposable', 'excluded', 'unknown_domain', 'no_email']);
const count = () => z.number().int().min(0);

export const IdentityReport = z.strictObject({
  /** The rules of strata.yaml's identity: section, in order. */
  rules: z.array(Rule),
  users: count(),
  /** Users with at least one link to an account. */
  linkedUsers: count(),
  /**
   * Per rule: `matched`, the users it finds on its own; `users` and `links`, those it names (a
   * link is named after the first rule of the list that finds it).
   */
  byRule: z.array(z.strictObject({ rule: Rule, matched: count(), users: count(), links: count() })),
  /** Users the domain rule linked to no account, by reason; `unlinked` of them are linked by no rule. */
  domainMisses: z.array(
    z.strictObject({ reason: Reason, count: count(), unlinked: count(), examples: z.array(z.string()) }),
  ),
  accountsWithSeveralDomains: z.strictObject({
    count: count(),
    examples: z.array(z.strictObject({ accountId: z.string(), domains: count() })),
  }),
  usersInSeveralAccounts: z.strictObject({
    count: count(),
    examples: z.array(z.strictObject({ userId: z.string(), accounts: count() })),
  }),
});

export type IdentityReport = z.infer<typeof IdentityReport>;
