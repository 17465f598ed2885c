import { listWords, plural } from '../../format/words.js';
import { type IdentityReport, identityReport } from '../../identity/identity-report.js';
import { openStore } from '../../store/open-store.js';
import { loadWorkspace } from '../../workspace/load-workspace.js';
import type { IdentityReportInput } from '../commands/identity.js';
import { formatTable, type Output } from '../output.js';

const REASON_WORDS: Record<string, string> = {
  free_mail: 'free-mail domain',
  disposable: 'disposable domain',
  excluded: 'excluded by identity.excludeDomains',
  unknown_domain: 'no account has the domain',
  no_email: 'no email',
};

/** The report as people read it: tables of counts, then the first examples of each case. */
function renderReport(report: IdentityReport): string {
  const lines = [
    `${plural(report.users, 'user')}, ${report.linkedUsers.toLocaleString('en-US')} linked to an account (rules in order: ${listWords([...report.rules])})`,
    'Links as the store holds them now (they are not versioned, so there is no as-of time).',
    '',
    formatTable(
      ['rule', 'users it finds', 'users it links first', 'links'],
      report.byRule.map((r) => [r.rule, r.matched, r.users, r.links]),
      { kinds: [undefined, 'count', 'count', 'count'] },
    ),
    'A link is named after the first rule that finds it: a domain that confirms an explicit account links no one first.',
  ];
  if (report.domainMisses.length > 0)
    lines.push(
      '',
      'Not linked by the domain rule:',
      formatTable(
        ['reason', 'users', 'in no account', 'for example'],
        report.domainMisses.map((m) => [
          REASON_WORDS[m.reason] ?? m.reason,
          m.count,
          m.unlinked,
          m.examples.join(', '),
        ]),
        { kinds: [undefined, 'count', 'count'] },
      ),
    );
  const { accountsWithSeveralDomains: accounts, usersInSeveralAccounts: users } = report;
  lines.push(
    '',
    `${plural(accounts.count, 'account')} with several domains${accounts.examples.length ? `: ${accounts.examples.map((a) => `${a.accountId} (${a.domains})`).join(', ')}` : ''}`,
    `${plural(users.count, 'user')} in several accounts${users.examples.length ? `: ${users.examples.map((u) => `${u.userId} (${u.accounts})`).join(', ')}` : ''}`,
  );
  return lines.join('\n');
}

/** `strata identity report`: the identity rules' outcome over the store's users and accounts. */
export async function runIdentityReport(options: IdentityReportInput, output: Output) {
  const workspace = loadWorkspace(options.workspace);
  const store = await openStore(workspace);
  try {
    const report = await identityReport(store, workspace.config.identity);
    output.result(report, () => renderReport(report));
    return report;
  } finally {
    await store.close();
  }
}
