import { html } from 'htm/preact';

/** An error said plainly, with what to do next, and a button that asks again when it may help. */
export function Failure({ error, retry }: { error: Error; retry?: () => void }) {
  return html`<div class="message error" role="alert">
    <p>${error.message}</p>
    ${retry ? html`<button type="button" onClick=${retry}>Try again</button>` : null}
  </div>`;
}
