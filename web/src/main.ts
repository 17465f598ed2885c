import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AbPage } from './ab.js';
import { adoptKey } from './api.js';
import { CohortsPage } from './cohorts.js';
import { FunnelsPage } from './funnels.js';
import { ModelsPage } from './models.js';
import { OverviewPage } from './overview.js';
import { PlanPage } from './plan.js';
import { RfmPage } from './rfm.js';
import { SegmentPage } from './segment.js';
import { TransitionsPage } from './transitions.js';

/** Pages by the URL fragment: #/ and #/segment/<id>. */
function App() {
  const [route, setRoute] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setRoute(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  const segment = /^#\/segment\/(.+)$/.exec(route)?.[1];
  const page = segment
    ? html`<${SegmentPage} id=${decodeURIComponent(segment)} />`
    : route === '#/rfm'
      ? html`<${RfmPage} />`
      : route === '#/transitions'
        ? html`<${TransitionsPage} />`
        : route === '#/ab'
          ? html`<${AbPage} />`
          : route === '#/models'
            ? html`<${ModelsPage} />`
            : route === '#/plan'
              ? html`<${PlanPage} />`
              : route === '#/cohorts'
                ? html`<${CohortsPage} />`
                : route === '#/funnels'
                  ? html`<${FunnelsPage} />`
                  : html`<${OverviewPage} />`;
  return html`
    <header>
      <h1><a href="#/">Strata</a></h1>
      <nav aria-label="Pages"><a href="#/">Overview</a> · <a href="#/rfm">RFM</a> · <a href="#/cohorts">Cohorts</a> · <a href="#/funnels">Funnels</a> · <a href="#/transitions">Transitions</a> · <a href="#/ab">A/B tests</a> · <a href="#/models">Models</a> · <a href="#/plan">Plan</a></nav>
    </header>
    <main>${page}</main>
  `;
}

adoptKey();
const root = document.getElementById('app') as HTMLElement;
// The placeholder shown while the modules load goes.
root.textContent = '';
render(html`<${App} />`, root);
