import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AbPage } from './ab.js';
import { AccountPage } from './account.js';
import { adoptKey } from './api.js';
import { ClustersPage } from './clusters.js';
import { CohortsPage } from './cohorts.js';
import { FunnelsPage } from './funnels.js';
import { ModelsPage } from './models.js';
import { OverviewPage } from './overview.js';
import { PlanPage } from './plan.js';
import { RfmPage } from './rfm.js';
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
] as const;

/** Pages by the URL fragment: those of the menu, #/segment/<id> and #/account/<id>. */
function App() {
  const [route, setRoute] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setRoute(window.location.hash);
    window.addEventListener('hashchange', changed);
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
  return html`
    <header>
      <h1><a href="#/">Strata</a></h1>
      <nav aria-label="Pages">${PAGES.map(
        ([path, name]) =>
          html`<a href=${path} aria-current=${path === current ? 'page' : undefined}>${name}</a>`,
      )}</nav>
    </header>
    <main>${page}</main>
  `;
}

adoptKey();
const root = document.getElementById('app') as HTMLElement;
// The placeholder shown while the modules load goes.
root.textContent = '';
render(html`<${App} />`, root);
