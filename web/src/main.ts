import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { AbPage } from './ab.js';
import { AccountPage } from './account.js';
import { adoptKey } from './api.js';
import { ClustersPage } from './clusters.js';
import { CohortsPage } from './cohorts.js';
import { FunnelsPage } from './funnels.js';
import { hashRoute } from './hash-state.js';
import { IdentityPage } from './identity.js';
import { ModelsPage } from './models.js';
import { OverviewPage } from './overview.js';
import { PlanPage } from './plan.js';
import { RfmPage } from './rfm.js';
import { keyboardScrollers } from './scrollers.js';
import { SegmentPage } from './segment.js';
import { TransitionsPage } from './transitions.js';

/** The pages in the order of the menu: fragment, name, component. */
const PAGES = [
  ['#/', 'Overview', OverviewPage],
  ['#/rfm', 'RFM', RfmPage],
  ['#/cohorts', 'Cohorts', CohortsPage],
  ['#/funnels', 'Funnels', FunnelsPage],
  ['#/clusters', 'Clusters', ClustersPage],
  ['#/transitions', 'Transitions', TransitionsPage],
  ['#/ab', 'A/B tests', AbPage],
  ['#/models', 'Models', ModelsPage],
  ['#/plan', 'Plan', PlanPage],
  ['#/identity', 'Identity', IdentityPage],
] as const;

/** Pages by the URL fragment: those of the menu, #/segment/<id> and #/account/<id>. */
function App() {
  // The route is the fragment without its query (#/cohorts?measure=revenue is #/cohorts): the
  // query is the page's view (web/src/hash-state.ts).
  const [route, setRoute] = useState(hashRoute());
  useEffect(() => {
    const changed = () => setRoute(hashRoute());
    window.addEventListener('hashchange', changed);
    // Effects run after the first paint: a link followed before then fired its hashchange
    // with nobody listening (a busy machine, a fast click), so the route is read again here.
    changed();
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  const segment = /^#\/segment\/(.+)$/.exec(route)?.[1];
  const account = /^#\/account\/(.+)$/.exec(route)?.[1];
  const Page = PAGES.find(([path]) => path === route)?.[2] ?? OverviewPage;
  const page = segment
    ? html`<${SegmentPage} id=${decodeURIComponent(segment)} />`
    : account
      ? html`<${AccountPage} id=${decodeURIComponent(account)} />`
      : html`<${Page} />`;
  const current = segment || account ? null : (PAGES.find(([path]) => path === route)?.[0] ?? '#/');
  const main = useRef<HTMLElement>(null);
  // Each page its own title: the tab, the history and a screen reader's first words name it.
  const title = segment
    ? `Segment ${decodeURIComponent(segment)}`
    : account
      ? `Account ${decodeURIComponent(account)}`
      : (PAGES.find(([path]) => path === current)?.[1] ?? 'Overview');
  useEffect(() => {
    document.title = `${title} · Strata`;
  }, [title]);
  // Past the eleven menu links to the page: a button, as a #main link would be taken for a route.
  const skip = () => main.current?.focus();
  return html`
    <header>
      <button type="button" class="skip" onClick=${skip}>Skip to the page</button>
      <h1><a href="#/">Strata</a></h1>
      <nav aria-label="Pages">${PAGES.map(
        ([path, name]) =>
          html`<a href=${path} aria-current=${path === current ? 'page' : undefined}>${name}</a>`,
      )}</nav>
    </header>
    <main ref=${main} tabIndex="-1">${page}</main>
  `;
}

adoptKey();
const root = document.getElementById('app') as HTMLElement;
// The placeholder shown while the modules load goes.
root.textContent = '';
render(html`<${App} />`, root);
keyboardScrollers(root);
