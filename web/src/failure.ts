import { html } from 'htm/preact';

/** An error said plainly, with what to do next. */
export function Failure({ error }: { error: Error }) {
  return html`<p class="message error" role="alert">${error.message}</p>`;
}
