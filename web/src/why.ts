import { html } from 'htm/preact';
import type {
  AccountExplanation,
  ExplainedNode,
  SegmentExplanation,
} from '../../src/contract/timeline-answers.js';
import { decimals, number, score } from '../../src/format/numbers.js';

/*
 * Why an account is in or out of a segment, drawn from GET /v1/accounts/<id>/explain: the
 * condition tree as nested lists (each node holds or not, in words with its value), the
 * children that decided each any / all marked, a score's points, the parent, and the stored
 * run's verdict when the data has changed since. Shared by the account and segment pages.
 */

const segmentLink = (id: string) => html`<a href=${`#/segment/${encodeURIComponent(id)}`}>${id}</a>`;

/** Holds or not in words as well as colour: the mark must read the same to a screen reader. */
const mark = (holds: boolean) =>
  html`<span class=${`holds ${holds ? 'yes' : 'no'}`} data-mark>${holds ? '✓ holds' : '✗ fails'}</span>`;

/** A score leaf's components: each one's value and the points it gave (they add up to the score). */
function Components({ node }: { node: ExplainedNode }) {
  if (!node.components) return null;
  return html`<div class="table-wrap"><table class="components" aria-label=${`Points of the score in ${node.path}`}>
    <thead><tr><th>component</th><th class="number">value</th><th class="number">bad</th><th class="number">good</th>
      <th class="number">weight</th><th class="number">points</th></tr></thead>
    <tbody>${node.components.map(
      (
        c,
      ) => html`<tr data-component=${c.metric}><td>${c.metric}</td><td class="number">${c.value === null ? 'none' : number(c.value)}</td>
        <td class="number">${number(c.bad)}</td><td class="number">${number(c.good)}</td><td class="number">${number(c.weight)}</td>
        <td class="number" data-points>${score(c.points)}</td></tr>`,
    )}</tbody></table></div>`;
}

/** A prediction leaf's drivers: the model's largest contributions to the account's log-odds. */
function Drivers({ node }: { node: ExplainedNode }) {
  const drivers = node.drivers;
  if (!drivers) return null;
  return html`<div class="table-wrap"><table class="components" data-drivers=${drivers.model}
      aria-label=${`What drove model ${drivers.model} v${drivers.version} (probability ${decimals(drivers.probability, 3)})`}>
    <caption>Model ${drivers.model} v${drivers.version}: probability ${decimals(drivers.probability, 3)}</caption>
    <thead><tr><th>feature</th><th class="number">value</th><th>effect</th><th class="number">log-odds</th></tr></thead>
    <tbody>${drivers.contributions.map(
      (c) => html`<tr data-driver=${c.feature}><td>${c.feature}</td>
        <td class="number">${c.value === null ? 'none' : number(c.value)}</td>
        <td>${c.direction}</td><td class="number">${number(c.contribution)}</td></tr>`,
    )}</tbody></table></div>`;
}

/** A node and its children; `decides` when its parent's any / all was decided by it. */
function Node({ node, decides }: { node: ExplainedNode; decides: boolean }) {
  const decidedBy = new Set(node.decidedBy ?? []);
  return html`<li data-path=${node.path} data-holds=${String(node.holds)} data-decides=${decides ? 'true' : undefined}>
    <div class="node">
      ${mark(node.holds)} <span data-text>${node.text}</span>
      ${decides ? html` <strong class="decides" data-decided-mark>decided it</strong>` : null}
    </div>
    <${Components} node=${node} />
    <${Drivers} node=${node} />
    ${
      node.children
        ? html`<ul>${node.children.map((child) => html`<${Node} node=${child} decides=${decidedBy.has(child.path)} />`)}</ul>`
        : null
    }
  </li>`;
}

/** One segment's verdict for the account and its condition tree. */
export function SegmentWhy({ explained, runId }: { explained: SegmentExplanation; runId: number }) {
  const { segment, member, parent, storedMember, tree } = explained;
  return html`<section class="why" data-explain-segment=${segment} data-member=${String(member)}
      aria-label=${`${segment}: ${member ? 'in' : 'out'}`}>
    <h4>${segmentLink(segment)}: <span class=${`verdict ${member ? 'pass' : 'fail'}`} data-verdict>${member ? 'in' : 'out'}</span></h4>
    ${
      parent
        ? html`<p data-parent=${parent.segment}>Parent ${segmentLink(parent.segment)}: <span data-parent-member>${parent.member ? 'in' : 'out'}</span>${
            parent.member
              ? ''
              : ` (an account outside ${parent.segment} is out of ${segment} whatever its own conditions)`
          }</p>`
        : null
    }
    ${
      storedMember !== null
        ? html`<p class="message" data-stored>Run ${runId} stored it as ${storedMember ? 'in' : 'out'}: data arrived since that run, and the next <code>strata run</code> will record ${member ? 'in' : 'out'}.</p>`
        : null
    }
    <ul class="tree" aria-label=${`Conditions of ${segment}`}><${Node} node=${tree} decides=${false} /></ul>
  </section>`;
}

/** Each scheme's order, the primary segment the account takes from it and why. */
export function SchemesWhy({ explanation }: { explanation: AccountExplanation }) {
  if (explanation.schemes.length === 0)
    return html`<p class="message">No scheme in strata.yaml: add one under <code>schemes:</code> to give each account one primary segment.</p>`;
  return html`<div class="table-wrap"><table aria-label="Primary segment per scheme">
    <thead><tr><th>scheme</th><th>order tried</th><th>primary</th><th>why</th></tr></thead>
    <tbody>${explanation.schemes.map(
      (s) => html`<tr data-scheme-why=${s.scheme}><td>${s.scheme}</td>
        <td>${s.order.map((id, i) => html`${i > 0 ? ' > ' : ''}${id === s.primary ? html`<strong>${id}</strong>` : id}`)}</td>
        <td data-primary>${s.primary}</td>
        <td data-reason>${s.reason}${
          s.storedPrimary !== null && s.storedPrimary !== s.primary
            ? ` (run ${explanation.runId} stored ${s.storedPrimary}: data arrived since)`
            : ''
        }</td></tr>`,
    )}</tbody></table></div>`;
}
