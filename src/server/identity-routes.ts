import { ROUTES } from '../contract/routes.js';
import { identityReport } from '../identity/identity-report.js';
import { readAccountTree } from '../store/account-tree.js';
import type { Serve } from './contract-routes.js';
import type { ReadContext } from './read-routes.js';

/**
 * Accounts as they really are (read keys): an account's place in its hierarchy, for the
 * account page, and the identity report of the workspace's `identity:` rules, as
 * `strata identity report --json` gives it. Both read the store as it is now (neither links
 * nor parents are versioned by run), so neither answer has an as-of time.
 */
export function registerIdentityRoutes(serve: Serve, { workspace, store, withStore }: ReadContext): void {
  serve(ROUTES.tree, {
    handler: async ({ params: { id }, reply }) => {
      const tree = await withStore(() => readAccountTree(store, id));
      return tree ?? reply.code(404).send({ error: 'not_found', message: `no account '${id}'` });
    },
  });

  serve(ROUTES.identity, {
    handler: async () => withStore(() => identityReport(store, workspace.config.identity)),
  });
}
