import { html } from 'htm/preact';
import type { SuggestionField, Suggestions } from '../../src/contract/suggestion-answers.js';
import { count } from '../../src/format/numbers.js';
import { useApi, useSettled, withQuery } from './load.js';

/*
 * A free-text box that suggests what it may hold (event names, account ids, metrics,
 * segments) from GET /v1/suggestions, as the user types. A native <input list> with its
 * <datalist>: the browser draws the list, filters it, and announces it to screen readers and
 * keyboards as a combobox, with no widget of ours to get wrong. The text is asked for once it
 * settles, and useApi drops a late answer to an earlier prefix.
 */

export interface SuggestInputProps {
  /** What to suggest. */
  field: SuggestionField;
  /** The box's visible label. */
  label: string;
  /** The input's name (and, with the field, its datalist's id). */
  name: string;
  value: string;
  onInput: (value: string) => void;
  /** At most this many suggestions (1-50). */
  limit?: number;
  /** Leaves out suggestions the box cannot take (a text metric where a mean is asked for). */
  accept?: (suggestion: Suggestions['values'][number]) => boolean;
}

/** The words beside a suggestion: an account's name, a metric's kind, an event's count. */
function described(field: SuggestionField, s: Suggestions['values'][number]): string {
  const counted =
    s.count === null ? '' : field === 'event' ? `${count(s.count)} events` : `${count(s.count)} accounts`;
  return [s.label, counted].filter(Boolean).join(' · ');
}

/** A labelled text box with the API's suggestions for `field` beginning with its text. */
export function SuggestInput({ field, label, name, value, onInput, limit = 20, accept }: SuggestInputProps) {
  const prefix = useSettled(value.trim(), 150);
  const suggestions = useApi<Suggestions>(withQuery('/v1/suggestions', { field, prefix, limit }));
  const list = `suggest-${name}`;
  // A failed or slow suggestion never blocks the box: it only has no list.
  const values = (suggestions.data?.values ?? []).filter((s) => accept?.(s) ?? true);
  return html`<label>${label} <input name=${name} value=${value} list=${list} autocomplete="off"
      data-suggest=${field} onInput=${(e: Event) => onInput((e.target as HTMLInputElement).value)} /></label>
    <datalist id=${list} data-suggestions=${field}>${values.map(
      (s) => html`<option value=${s.value} label=${described(field, s) || undefined}></option>`,
    )}</datalist>`;
}
