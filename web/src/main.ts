import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { adoptKey } from './api.js';
import { OverviewPage } from './overview.js';
import { SegmentPage } from './segment.js';

/** Pages by the URL fragment: #/ and #/segment/<id>. */
function App() {
  const [route, setRoute] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setRoute(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  const segment = /^#\/segment\/(.+)$/.exec(route)?.[1];
  return html`
    <header><h1><a href="#/">Strata</a></h1><span>segments of your customers</span></header>
    <main>${segment ? html`<${SegmentPage} id=${decodeURIComponent(segment)} />` : html`<${OverviewPage} />`}</main>
  `;
}

adoptKey();
const root = document.getElementById('app') as HTMLElement;
// The placeholder shown while the modules load goes.
root.textContent = '';
render(html`<${App} />`, root);
