import { html } from 'htm/preact';
import type { IdentityReport } from '../../src/contract/identity-answers.js';
import { count, percent } from '../../src/format/numbers.js';
import { listWords, plural } from '../../src/format/words.js';
import { accountHref } from './account.js';
import { Failure } from './failure.js';
import { useApi } from './load.js';

/*
 * The identity report (#/identity, GET /v1/identity), as `strata identity report` prints it:
 * how the `identity:` rules link users to accounts, who the domain rule leaves out and why,
 * accounts with several domains and users in several accounts. Small tables: a handful of
 * counts reads better as numbers than as a chart.
 */

type Reason = IdentityReport['domainMisses'][number]['reason'];

const REASON_WORDS: Record<Reason, string> = {
  free_mail: 'free-mail domain',
  disposable: 'disposable domain',
  excluded: 'excluded by identity.excludeDomains',
  unknown_domain: 'no account has the domain',
  no_email: 'no email',
};

const RULE_WORDS = { explicit: 'explicit (account id, group call)', domain: 'email domain' } as const;

function Rules({ report }: { report: IdentityReport }) {
  return html`<div class="table-wrap"><table aria-label="Users matched per rule" data-identity-rules>
    <thead><tr><th>rule (in order)</th><th class="number">users it finds</th><th class="number">users it links first</th><th class="number">links</th></tr></thead>
    <tbody>${report.byRule.map(
      (
        r,
      ) => html`<tr data-rule=${r.rule}><td>${RULE_WORDS[r.rule]}</td><td class="number">${count(r.matched)}</td>
        <td class="number">${count(r.users)}</td><td class="number">${count(r.links)}</td></tr>`,
    )}</tbody></table></div>
    <p>A link is named after the first rule that finds it: a domain that confirms an explicit account links no one first.</p>`;
}

function Misses({ report }: { report: IdentityReport }) {
  if (report.domainMisses.length === 0)
    return html`<p class="message" data-no-misses>The domain rule leaves no user out.</p>`;
  return html`<div class="table-wrap"><table aria-label="Users the domain rule leaves out, by reason" data-identity-misses>
    <thead><tr><th>reason</th><th class="number">users</th><th class="number">in no account</th><th>for example</th></tr></thead>
    <tbody>${report.domainMisses.map(
      (
        m,
      ) => html`<tr data-reason=${m.reason}><td>${REASON_WORDS[m.reason]}</td><td class="number">${count(m.count)}</td>
        <td class="number">${count(m.unlinked)}</td><td>${m.examples.join(', ')}</td></tr>`,
    )}</tbody></table></div>`;
}

export function IdentityPage() {
  const { data: report, error, retry } = useApi<IdentityReport>('/v1/identity');
  const accounts = report?.accountsWithSeveralDomains;
  const users = report?.usersInSeveralAccounts;
  return html`
    <h2>Identity</h2>
    <p>How users are linked to accounts by the <code>identity:</code> rules of strata.yaml, with the links as the store holds them now (they are not versioned by run).</p>
    ${
      error
        ? html`<${Failure} error=${error} retry=${retry} />`
        : report && report.users === 0
          ? html`<p class="message" data-identity-summary>No user yet: import users (a <code>users</code> source in strata.yaml) or send identify calls, and their links to accounts show here.</p>`
          : report && accounts && users
            ? html`<p data-identity-summary>${plural(report.users, 'user', 'users', count(report.users))}, ${count(report.linkedUsers)} linked to an account (${percent(report.users > 0 ? report.linkedUsers / report.users : null)}); rules in order: ${listWords(report.rules)}.</p>
            <h3>Matched per rule</h3>
            <${Rules} report=${report} />
            <h3>Left out by the domain rule</h3>
            <${Misses} report=${report} />
            <h3>Several at once</h3>
            <ul data-identity-several>
              <li data-several="accounts">${plural(accounts.count, 'account', 'accounts', count(accounts.count))} with several domains${
                accounts.examples.length > 0
                  ? html`: ${accounts.examples.map(
                      (a, i) =>
                        html`${i > 0 ? ', ' : ''}<a href=${accountHref(a.accountId)}>${a.accountId}</a> (${count(a.domains)})`,
                    )}`
                  : null
              }</li>
              <li data-several="users">${plural(users.count, 'user', 'users', count(users.count))} in several accounts${
                users.examples.length > 0
                  ? `: ${users.examples.map((u) => `${u.userId} (${count(u.accounts)})`).join(', ')}`
                  : ''
              }</li>
            </ul>`
            : html`<p class="loading">Matching users to accounts…</p>`
    }
  `;
}
