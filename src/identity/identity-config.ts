import { z } from 'zod';

/** The rules that link a user to an account, in the order they are reported. */
export const IDENTITY_RULES = ['explicit', 'domain'] as const;
export type IdentityRule = (typeof IDENTITY_RULES)[number];

// A bare domain such as acme.com or mail.acme.co.uk: letters, digits and hyphens between dots.
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/**
 * The `identity:` section of strata.yaml. `explicit` links a user to `users.account_id` (as
 * imported, or set by a group call); `domain` links a user to every account whose `domain`
 * column or `domains` trait (comma-separated aliases) equals the domain of the user's email.
 * A user is linked to every account any listed rule finds (no first-wins); when two rules
 * find the same account, the link is named after the rule listed first.
 */
export const identitySchema = z
  .object({
    rules: z
      .array(z.enum(IDENTITY_RULES))
      .min(1)
      .refine((rules) => new Set(rules).size === rules.length, 'each rule at most once')
      .default([...IDENTITY_RULES])
      .describe('Rules in order: explicit (users.account_id, group calls) and domain (email domain)'),
    excludeDomains: z
      .array(
        z
          .string()
          .transform((domain) => domain.trim().toLowerCase())
          .pipe(z.string().regex(DOMAIN, 'a bare domain such as partner-agency.com')),
      )
      .default([])
      .describe(
        'Domains never matched by the domain rule, with their subdomains, on top of the free-mail and disposable lists',
      ),
    accountIds: z
      .array(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column or trait name such as stripe_customer_id'),
      )
      .default([])
      .describe(
        "Columns or traits of accounts holding the account's id in another system (stripe_customer_id): a row naming that id counts for the account",
      ),
  })
  .strict();

export type IdentityConfig = z.infer<typeof identitySchema>;

/** The section as a workspace without `identity:` has it. */
export const DEFAULT_IDENTITY: IdentityConfig = {
  rules: [...IDENTITY_RULES],
  excludeDomains: [],
  accountIds: [],
};
