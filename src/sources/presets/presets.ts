import type { Preset } from './preset.js';

/** Every preset, by id (`stripe/subscriptions`); each vendor's presets live in their own file. */
export const PRESETS: Readonly<Record<string, Preset>> = {};

export const PRESET_IDS = Object.keys(PRESETS);
