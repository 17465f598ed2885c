import { html } from 'htm/preact';
import type { AccountTree as Tree } from '../../src/contract/read-answers.js';
import { count } from '../../src/format/numbers.js';
import { plural } from '../../src/format/words.js';
import { Failure } from './failure.js';
import { useApi } from './load.js';

/*
 * The account's place in its hierarchy (parent_account_id) on its page, from
 * GET /v1/accounts/<id>/tree: its ancestors from the top down, each a link to its page, and its
 * direct children (the first 50 by name, and how many more). Nothing at all for an account
 * with neither parent nor child, most of them.
 */

const href = (id: string) => `#/account/${encodeURIComponent(id)}`;

/** "Acme Group (acme-group)", or the id alone when the account has no name. */
const label = (a: Tree['children'][number]) => (a.name ? `${a.name} (${a.account_id})` : a.account_id);

export function AccountTree({ id }: { id: string }) {
  const loaded = useApi<Tree>(`/v1/accounts/${encodeURIComponent(id)}/tree`);
  if (loaded.error) return html`<${Failure} error=${loaded.error} retry=${loaded.retry} />`;
  // The previous account's tree is no tree for this one.
  const tree = loaded.data?.account_id === id ? loaded.data : null;
  if (!tree || (tree.ancestors.length === 0 && tree.childCount === 0)) return null;
  const more = tree.childCount - tree.children.length;
  return html`<section class="account-tree" aria-label="Hierarchy" data-tree>
    <h3>Hierarchy</h3>
    <p class="message" data-tree-time>Parent links as the store holds them now: they are not kept per run.</p>
    ${
      tree.ancestors.length > 0
        ? html`<nav aria-label="Parent accounts, from the top"><ol class="ancestors" data-ancestors>${tree.ancestors.map(
            (a) => html`<li data-ancestor=${a.account_id}><a href=${href(a.account_id)}>${label(a)}</a></li>`,
          )}<li aria-current="page">${id}</li></ol></nav>`
        : html`<p data-top>At the top of its hierarchy.</p>`
    }
    ${
      tree.childCount > 0
        ? html`<p data-child-count>${plural(tree.childCount, 'direct child', 'direct children', count(tree.childCount))}${more > 0 ? `, the first ${count(tree.children.length)} by name:` : ':'}</p>
          <ul class="chips" data-children>${tree.children.map(
            (c) => html`<li data-child=${c.account_id}><a href=${href(c.account_id)}>${label(c)}</a></li>`,
          )}</ul>
          ${more > 0 ? html`<p data-more-children>and ${count(more)} more.</p>` : null}`
        : html`<p data-child-count>No child account.</p>`
    }
  </section>`;
}
