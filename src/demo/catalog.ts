/**
 * Static vocabulary of the demo world: regions and countries, industries and their
 * sizes, plans and prices, product features, and the parts names are made of.
 * Only data lives here; the draws that use it are in the simulation files.
 */

export type Plan = 'free' | 'starter' | 'growth' | 'enterprise';
export type Billing = 'monthly' | 'annual';

export interface Region {
  readonly code: 'NA' | 'EMEA' | 'APAC' | 'LATAM';
  readonly share: number;
  /** Typical UTC offset of its customers, in hours, for the time of day of their activity. */
  readonly tzHours: number;
  readonly countries: readonly (readonly [code: string, weight: number, tld: string])[];
  /** Relative weight of each industry (same order as INDUSTRIES): markets differ by region. */
  readonly industryMix: readonly number[];
}

export const REGIONS: readonly Region[] = [
  {
    code: 'NA',
    share: 0.44,
    tzHours: -5,
    countries: [
      ['US', 0.86, '.com'],
      ['CA', 0.14, '.ca'],
    ],
    industryMix: [0.3, 0.14, 0.13, 0.1, 0.08, 0.08, 0.08, 0.09],
  },
  {
    code: 'EMEA',
    share: 0.31,
    tzHours: 1,
    countries: [
      ['GB', 0.25, '.co.uk'],
      ['DE', 0.21, '.de'],
      ['FR', 0.14, '.fr'],
      ['NL', 0.08, '.nl'],
      ['ES', 0.08, '.es'],
      ['SE', 0.06, '.se'],
      ['IT', 0.06, '.it'],
      ['IL', 0.05, '.com'],
      ['AE', 0.04, '.com'],
      ['ZA', 0.03, '.co.za'],
    ],
    industryMix: [0.22, 0.1, 0.19, 0.1, 0.15, 0.07, 0.07, 0.1],
  },
  {
    code: 'APAC',
    share: 0.17,
    tzHours: 8,
    countries: [
      ['AU', 0.27, '.com.au'],
      ['IN', 0.25, '.in'],
      ['JP', 0.15, '.jp'],
      ['SG', 0.12, '.sg'],
      ['KR', 0.08, '.com'],
      ['NZ', 0.06, '.co.nz'],
      ['ID', 0.07, '.com'],
    ],
    industryMix: [0.26, 0.07, 0.12, 0.14, 0.2, 0.08, 0.05, 0.08],
  },
  {
    code: 'LATAM',
    share: 0.08,
    tzHours: -4,
    countries: [
      ['BR', 0.45, '.com.br'],
      ['MX', 0.3, '.mx'],
      ['AR', 0.1, '.com'],
      ['CL', 0.08, '.cl'],
      ['CO', 0.07, '.com'],
    ],
    industryMix: [0.2, 0.08, 0.16, 0.21, 0.12, 0.08, 0.07, 0.08],
  },
];

export interface Industry {
  readonly name: string;
  /** Median head count of its customers; sizes are log-normal around it. */
  readonly medianEmployees: number;
  /** Words that end a company name in this industry. */
  readonly nameWords: readonly string[];
}

export const INDUSTRIES: readonly Industry[] = [
  {
    name: 'Technology',
    medianEmployees: 45,
    nameWords: ['Software', 'Systems', 'Labs', 'Technologies', 'Cloud'],
  },
  { name: 'Healthcare', medianEmployees: 120, nameWords: ['Health', 'Medical', 'Care', 'Clinics', 'Bio'] },
  {
    name: 'Finance',
    medianEmployees: 95,
    nameWords: ['Capital', 'Financial', 'Partners', 'Bank', 'Insurance'],
  },
  { name: 'Retail', medianEmployees: 70, nameWords: ['Retail', 'Goods', 'Market', 'Stores', 'Brands'] },
  {
    name: 'Manufacturing',
    medianEmployees: 160,
    nameWords: ['Industries', 'Manufacturing', 'Machines', 'Materials'],
  },
  { name: 'Education', medianEmployees: 85, nameWords: ['Academy', 'Learning', 'Education', 'Schools'] },
  { name: 'Media', medianEmployees: 35, nameWords: ['Media', 'Studios', 'Publishing', 'Digital'] },
  {
    name: 'Professional Services',
    medianEmployees: 30,
    nameWords: ['Consulting', 'Group', 'Advisors', 'Associates'],
  },
];

/** Spread (sigma of log head count) of company sizes within an industry. */
export const EMPLOYEES_SIGMA = 1.45;
export const MIN_EMPLOYEES = 2;
export const MAX_EMPLOYEES = 250_000;

/** List price per seat per month, and limits on seats, per paid plan. */
export const PLAN_PRICE: Readonly<Record<Plan, number>> = {
  free: 0,
  starter: 19,
  growth: 39,
  enterprise: 69,
};
export const PLAN_MAX_SEATS: Readonly<Record<Plan, number>> = {
  free: 3,
  starter: 10,
  growth: 150,
  enterprise: 5000,
};
export const ENTERPRISE_MIN_SEATS = 20;
/** Fixed monthly platform fee of an enterprise contract. */
export const ENTERPRISE_PLATFORM_FEE = 500;
/** Share of accounts on each paid plan that choose annual billing. */
export const ANNUAL_SHARE: Readonly<Record<Plan, number>> = {
  free: 0,
  starter: 0.2,
  growth: 0.45,
  enterprise: 0.85,
};
/** Price factor of annual billing (paying up front earns a discount). */
export const ANNUAL_DISCOUNT = 0.85;
export const TRIAL_DAYS = 14;
export const PLAN_ORDER: readonly Plan[] = ['free', 'starter', 'growth', 'enterprise'];

/** Ways accounts arrive; kept in account traits. */
export const ACQUISITION = ['organic', 'paid_search', 'referral', 'outbound', 'partner'] as const;
export const ACQUISITION_WEIGHT = [0.38, 0.24, 0.16, 0.14, 0.08];

/**
 * Product features after the always-present `dashboard_viewed`, in the order accounts
 * usually adopt them, with how popular each is and its share of an adopter's events.
 */
export interface Feature {
  readonly event: string;
  readonly popularity: number;
  readonly weight: number;
  /** Free and starter accounts cannot use it (an enterprise feature). */
  readonly paidTierOnly: boolean;
}

export const CORE_EVENT = 'dashboard_viewed';
export const CORE_WEIGHT = 30;
export const FEATURES: readonly Feature[] = [
  { event: 'dashboard_created', popularity: 0.9, weight: 8, paidTierOnly: false },
  { event: 'report_exported', popularity: 0.8, weight: 12, paidTierOnly: false },
  { event: 'alert_set', popularity: 0.5, weight: 6, paidTierOnly: false },
  { event: 'integration_connected', popularity: 0.45, weight: 1.2, paidTierOnly: false },
  { event: 'api_call', popularity: 0.4, weight: 24, paidTierOnly: false },
  { event: 'sso_enabled', popularity: 0.25, weight: 0.4, paidTierOnly: true },
];
/** Share of product events that are sessions rather than feature use. */
export const SESSION_SHARE = 0.35;

/** Space-separated word lists, kept compact (one string each) so the data stays readable. */
const words = (text: string): readonly string[] => text.split(' ');

export const NAME_PREFIXES = words(
  'North Blue Bright Clear Silver Iron Red Green Swift True Open Deep High Summit Stone Oak ' +
    'Pine Cedar Maple River Lake Harbor Sun Star Nova Polar Terra Aqua Zen Apex Vertex Quant Data ' +
    'Cloud Core Prime Next Bold Keen Wise Fair Gold Copper Cobalt Crimson Amber Ivory Lunar Solar ' +
    'Echo Delta Sigma Omega Alpha Vector Pixel Signal Atlas Orbit Urban Metro Grand West East',
);
export const NAME_ROOTS = words(
  'wind field bridge point gate way works stack line path forge leaf spring stone crest ridge ' +
    'view mark wave light bank brook dale port wood hill shore peak grove haven loop scale sense ' +
    'mind logic flow craft shift cast beam bit nest hub base spark bloom tree root fox hawk lynx ' +
    'bear wolf owl kite sail stream yard mill key ray fern land rock',
);

export const FIRST_NAMES = words(
  'james mary john patricia robert jennifer michael linda david elizabeth william susan richard ' +
    'jessica joseph sarah thomas karen carlos maria luis ana hans anna lukas sophie pierre claire ' +
    'raj priya amit neha wei li hiroshi yuki min ji olivia noah emma liam ava lucas mia ethan zoe ' +
    'omar fatima lars',
);
export const LAST_NAMES = words(
  'smith johnson williams brown jones garcia miller davis rodriguez martinez lopez wilson ' +
    'anderson taylor thomas moore martin lee clark lewis walker young king muller schmidt ' +
    'schneider fischer dubois bernard rossi silva santos sharma patel singh kumar wang zhang chen ' +
    'tanaka sato kim park nguyen cohen jansen berg novak costa ali',
);
