/**
 * Who an account is: region and country, industry, head count, name, domain and
 * signup instant. Industry mix depends on region and size on industry, so firmographic
 * segments in the demo differ from each other the way real ones do.
 */

import { Categorical, clamp, type Rng } from '../random.js';
import {
  DAY_MS,
  HOUR_MS,
  SIGNUP_DAYS,
  utcHourDistribution,
  WORLD_END_MS,
  WORLD_START_MS,
  wholeSeconds,
  YEAR_MS,
} from './calendar.js';
import {
  ACQUISITION,
  ACQUISITION_WEIGHT,
  EMPLOYEES_SIGMA,
  INDUSTRIES,
  MAX_EMPLOYEES,
  MIN_EMPLOYEES,
  NAME_PREFIXES,
  NAME_ROOTS,
  REGIONS,
} from './catalog.js';
import type { Profile } from './story.js';

const regionDist = new Categorical(REGIONS.map((r) => r.share));
const countryDist = REGIONS.map((r) => new Categorical(r.countries.map((c) => c[1])));
const industryDist = REGIONS.map((r) => new Categorical(r.industryMix));
const acquisitionDist = new Categorical(ACQUISITION_WEIGHT);
/** Signup hour per region: people sign up during their own working day. */
export const REGION_HOURS = REGIONS.map((r) => utcHourDistribution(r.tzHours));

const CORES = NAME_PREFIXES.length * NAME_ROOTS.length;
/** A stride coprime with CORES, so index -> name core is a bijection within each block of CORES accounts. */
const STRIDE = (() => {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let s = 2749;
  while (gcd(s, CORES) !== 1) s += 2;
  return s;
})();

/** Width of the zero-padded account number, enough for the L world. */
const ID_DIGITS = 7;

/** The account id of the i-th account (0-based), e.g. acc_0000042. */
export function accountIdOf(index: number): string {
  return `acc_${String(index).padStart(ID_DIGITS, '0')}`;
}

/**
 * Draws the profile of account `index` of `total`; signups are stratified over the
 * window by index, so account ids increase with created_at as in a real CRM.
 */
export function drawProfile(rng: Rng, index: number, total: number, seed: number): Profile {
  const regionIndex = regionDist.sample(rng);
  const region = REGIONS[regionIndex] ?? REGIONS[0];
  if (region === undefined) throw new Error('no regions');
  const countryEntry = region.countries[countryDist[regionIndex]?.sample(rng) ?? 0] ?? region.countries[0];
  const [country, , tld] = countryEntry ?? ['US', 1, '.com'];
  const industryIndex = industryDist[regionIndex]?.sample(rng) ?? 0;
  const industry = INDUSTRIES[industryIndex] ?? INDUSTRIES[0];
  if (industry === undefined) throw new Error('no industries');

  const employees = Math.round(
    clamp(rng.logNormal(industry.medianEmployees, EMPLOYEES_SIGMA), MIN_EMPLOYEES, MAX_EMPLOYEES),
  );

  // Stratified signup: the (index + u) / total quantile of the day distribution.
  const day = SIGNUP_DAYS.at((index + rng.next()) / total);
  const hour = REGION_HOURS[regionIndex]?.sample(rng) ?? 12;
  const createdAt = wholeSeconds(
    clamp(
      WORLD_START_MS + day * DAY_MS + hour * HOUR_MS + rng.next() * HOUR_MS,
      WORLD_START_MS,
      WORLD_END_MS - DAY_MS,
    ),
  );

  // Companies grew since signup; the first enrichment saw the smaller head count.
  const years = (WORLD_END_MS - createdAt) / YEAR_MS;
  const growth = Math.max(0.7, 1 + rng.normal(0.09, 0.12)) ** years;
  const employeesAtSignup = Math.max(MIN_EMPLOYEES, Math.round(employees / growth));

  const block = Math.floor(index / CORES);
  const core = ((((index % CORES) * STRIDE + (seed >>> 0)) % CORES) + CORES) % CORES;
  const prefix = NAME_PREFIXES[Math.floor(core / NAME_ROOTS.length)] ?? 'North';
  const root = NAME_ROOTS[core % NAME_ROOTS.length] ?? 'wind';
  const coreName = prefix + root;
  const word = rng.pick(industry.nameWords);
  const suffix = block > 0 ? String(block + 1) : '';

  return {
    index,
    accountId: accountIdOf(index),
    code: index.toString(36),
    name: `${coreName}${suffix ? ` ${suffix}` : ''} ${word}`,
    domain: `${coreName.toLowerCase()}${suffix}${tld}`,
    regionIndex,
    country,
    industryIndex,
    employees,
    employeesAtSignup,
    createdAt,
    acquisition: ACQUISITION[acquisitionDist.sample(rng)] ?? 'organic',
  };
}
