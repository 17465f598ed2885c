import { HUBSPOT_PRESETS } from './hubspot.js';
import type { Preset } from './preset.js';
import { SALESFORCE_PRESETS } from './salesforce.js';
import { STRIPE_PRESETS } from './stripe.js';
import { ZENDESK_PRESETS } from './zendesk.js';

/** Every preset, by id (`stripe/subscriptions`); each vendor's presets live in their own file. */
export const PRESETS: Readonly<Record<string, Preset>> = Object.fromEntries(
  [...STRIPE_PRESETS, ...HUBSPOT_PRESETS, ...SALESFORCE_PRESETS, ...ZENDESK_PRESETS].map((preset) => [
    preset.id,
    preset,
  ]),
);

export const PRESET_IDS = Object.keys(PRESETS);
