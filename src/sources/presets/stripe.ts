import { duckdbDialect } from '../../dialect/duckdb/duckdb-dialect.js';
import { compileExpression, convert } from '../derive/compile-derive.js';
import type { Expression } from '../derive/expression.js';
import type { DeriveFunction } from '../derive/functions.js';
import type { Preset } from './preset.js';

/**
 * Stripe: customers, subscriptions and invoices, from the Dashboard's CSV exports (column
 * names as the export writes them, amounts in major units, times "2024-01-15 10:32" in UTC)
 * and from the API's list answers (`{"object": "list", "data": [...]}`, amounts in minor
 * units, times in Unix seconds). Field names: https://docs.stripe.com/api.
 */

const sql = duckdbDialect.sql;

/**
 * Currencies whose Stripe amounts have no minor unit, and those with three decimals
 * (https://docs.stripe.com/currencies#zero-decimal). Stripe's own list, not ISO 4217's:
 * Stripe writes ISK, HUF and TWD with two decimals and MGA, UGX with none.
 */
const ZERO_DECIMAL = [
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
];
const THREE_DECIMAL = ['BHD', 'JOD', 'KWD', 'OMR', 'TND'];

const stripeAmount: DeriveFunction = {
  usage: 'stripeAmount(amount, currency)',
  doc: "an amount of the Stripe API (in the currency's smallest unit: 4900 usd is 49, 4900 jpy is 4900) in major units",
  arity: [2, 2],
  compile: ([amount, currency], context) => {
    const a = convert(context, compileExpression(amount as Expression, context), 'number').sql;
    const c = convert(context, compileExpression(currency as Expression, context), 'text').sql;
    const list = (codes: readonly string[]) => sql.join(codes.map((code) => sql`${code}`));
    return {
      sql: sql`(${a} / (CASE WHEN upper(${c}) IN (${list(ZERO_DECIMAL)}) THEN 1 WHEN upper(${c}) IN (${list(THREE_DECIMAL)}) THEN 1000 ELSE 100 END))`,
      type: 'number',
    };
  },
};

/**
 * Stripe's subscription statuses as Strata's: past_due and unpaid are still `active` (Stripe
 * keeps invoicing them; the vendor's status stays in traits.stripe_status so a segment can
 * single them out), `incomplete` (first payment pending) counts as `trialing`, and
 * incomplete_expired and paused (a trial that ended without a payment method) as `canceled`.
 */
const status = (s: string) =>
  `(${s} == "trialing" || ${s} == "incomplete") ? "trialing" : (${s} == "canceled" || ${s} == "incomplete_expired" || ${s} == "paused") ? "canceled" : "active"`;

/** MRR is what the period pays: nothing while trialing, pending, expired or paused. */
const mrr = (s: string, listMrr: string) =>
  `(${s} == "trialing" || ${s} == "incomplete" || ${s} == "incomplete_expired" || ${s} == "paused") ? 0 : ${listMrr}`;

/**
 * The billing term: Strata's monthly or annual for one month or one year, else in words
 * ("every 3 months", "week"), from the first item's interval and interval count.
 */
const billing = (interval: string, count: string) =>
  `${count} != 1 ? concat("every ", ${count}, " ", ${interval}, "s") : ${interval} == "year" ? "annual" : ${interval} == "month" ? "monthly" : ${interval}`;

/** Per item: unit price (minor units; the decimal form keeps sub-cent prices) x quantity, per month. */
const API_LIST_MRR =
  'sumOf(items.data, monthly(stripeAmount(coalesce(price.unit_amount_decimal, price.unit_amount), price.currency) * quantity, price.recurring.interval, coalesce(price.recurring.interval_count, 1)))';
const CSV_LIST_MRR =
  'monthly(number(Amount) * coalesce(number(optionalCol("Quantity")), 1), Interval, coalesce(integer(optionalCol("Interval Count")), 1))';
const CSV_STATUS = 'lower(Status)';

export const STRIPE_PRESETS: readonly Preset[] = [
  {
    id: 'stripe/customers',
    table: 'accounts',
    doc: 'Stripe customers: the customer id is the account, its name (else description), creation time and address country.',
    reference: 'https://docs.stripe.com/api/customers/object',
    csv: {
      derive: {
        account_id: 'id',
        name: 'coalesce(optionalCol("Name"), optionalCol("Description"))',
        created_at: 'col("Created (UTC)")',
        country: 'upper(optionalCol("Address Country"))',
      },
    },
    json: {
      records: 'data',
      derive: {
        account_id: 'id',
        name: 'coalesce(optionalCol("name"), optionalCol("description"))',
        created_at: 'unixTime(created)',
        country: 'upper(optionalCol("address").country)',
      },
    },
  },
  {
    id: 'stripe/subscriptions',
    table: 'subscriptions',
    doc: "Stripe subscriptions: one period per subscription, MRR from its items' prices, quantities and intervals, Stripe's status mapped to Strata's.",
    reference: 'https://docs.stripe.com/api/subscriptions/object',
    csv: {
      derive: {
        account_id: 'col("Customer ID")',
        plan: 'anyCol("Plan", "Product")',
        mrr: mrr(CSV_STATUS, CSV_LIST_MRR),
        list_mrr: CSV_LIST_MRR,
        billing: billing('lower(Interval)', 'coalesce(integer(optionalCol("Interval Count")), 1)'),
        starts_at: 'anyCol("Start Date (UTC)", "Start (UTC)", "Created (UTC)")',
        ends_at:
          'coalesce(optionalCol("Ended At (UTC)"), optionalCol("Cancel At (UTC)"), lower(optionalCol("Cancel At Period End")) == "true" ? optionalCol("Current Period End (UTC)") : null)',
        status: status(CSV_STATUS),
        stripe_status: CSV_STATUS,
      },
    },
    json: {
      records: 'data',
      derive: {
        account_id: 'coalesce(customer.id, customer)',
        plan: 'coalesce(items.data[0].price.nickname, items.data[0].price.lookup_key, items.data[0].price.product.name, items.data[0].price.product, items.data[0].price.id)',
        mrr: mrr('status', API_LIST_MRR),
        list_mrr: API_LIST_MRR,
        billing: billing(
          'items.data[0].price.recurring.interval',
          'coalesce(items.data[0].price.recurring.interval_count, 1)',
        ),
        starts_at: 'unixTime(coalesce(start_date, created))',
        // Ended, else set to end (cancel_at; older API versions say only cancel_at_period_end).
        ends_at:
          'unixTime(coalesce(optionalCol("ended_at"), optionalCol("cancel_at"), optionalCol("cancel_at_period_end") == "true" ? coalesce(optionalCol("current_period_end"), items.data[0].current_period_end) : null))',
        status: status('status'),
        stripe_status: 'status',
        trial_start: 'unixTime(optionalCol("trial_start"))',
        trial_end: 'unixTime(optionalCol("trial_end"))',
        canceled_at: 'unixTime(optionalCol("canceled_at"))',
      },
    },
    functions: { stripeAmount },
  },
  {
    id: 'stripe/invoices',
    table: 'events',
    doc: 'Stripe invoices as events: invoice_paid, invoice_open, invoice_void, ... at the time the invoice reached that status, with its amount in major units.',
    reference: 'https://docs.stripe.com/api/invoices/object',
    csv: {
      derive: {
        event_id: 'concat(id, ":", lower(Status))',
        account_id: 'anyCol("Customer ID", "Customer")',
        event: 'concat("invoice_", lower(Status))',
        ts: 'coalesce(lower(Status) == "paid" ? optionalCol("Paid At (UTC)") : null, optionalCol("Finalized At (UTC)"), anyCol("Date (UTC)", "Created (UTC)"))',
        amount: 'number(lower(Status) == "paid" ? col("Amount Paid") : col("Amount Due"))',
      },
    },
    json: {
      records: 'data',
      derive: {
        event_id: 'concat(id, ":", status)',
        account_id: 'coalesce(customer.id, customer)',
        event: 'concat("invoice_", status)',
        ts: 'unixTime(coalesce(status_transitions.paid_at, status_transitions.voided_at, status_transitions.marked_uncollectible_at, status_transitions.finalized_at, created))',
        amount: 'stripeAmount(status == "paid" ? amount_paid : amount_due, currency)',
      },
    },
    functions: { stripeAmount },
  },
];
