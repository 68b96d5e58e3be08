// Community funding's rules that are not the view's: amounts are integer
// fen on the wire (never floating point), typed and shown in yuan; how the
// budget and spending forms become requests (what grid requires, said
// before sending); and the share that reached residents.

export const SOURCE_KINDS = ["FUNDING_SOURCE_KIND_DISTRICT_FINANCE", "FUNDING_SOURCE_KIND_PARTY_FEES",
  "FUNDING_SOURCE_KIND_STREET", "FUNDING_SOURCE_KIND_OTHER"];
export const PURPOSES = ["FUNDING_PURPOSE_ACTIVITIES", "FUNDING_PURPOSE_SERVICES", "FUNDING_PURPOSE_PARTY_BUILDING",
  "FUNDING_PURPOSE_OFFICE", "FUNDING_PURPOSE_TRAINING", "FUNDING_PURPOSE_OTHER"];
// Spending that reaches residents: their activities and services.
export const FOR_RESIDENTS = ["FUNDING_PURPOSE_ACTIVITIES", "FUNDING_PURPOSE_SERVICES"];

const trimmed = value => String(value ?? "").trim();

// "27000", "27,000.5", "0.05" yuan as integer fen; null when it is not an
// amount (a sign, more than two decimals, letters). Read as text, so that
// no floating point rounds a cent away.
export function yuanToFen(text) {
  const value = trimmed(text).replace(/[,，\s]/g, "");
  const match = value.match(/^(\d{1,10})(?:\.(\d{1,2}))?$/);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

// Fen (a number or int64 string) as yuan with two decimals: "27,000.00".
export function fenToYuan(fen) {
  const n = Number(fen || 0);
  const negative = n < 0;
  const abs = Math.abs(n);
  const whole = Math.floor(abs / 100).toLocaleString("en-US");
  const cents = String(abs % 100).padStart(2, "0");
  return `${negative ? "-" : ""}${whole}.${cents}`;
}

// The share (0..100, one decimal) of spending that reached residents; null
// when nothing was spent.
export function residentsShare(figure) {
  const spent = Number((figure && figure.spent_fen) || 0);
  if (!spent) return null;
  return Math.round((Number(figure.for_residents_fen || 0) * 1000) / spent) / 10;
}

// FundingBudgetSet's body: the sources typed in yuan (empty ones left out)
// add up to the budget. { error: field } when an amount is not one, or
// when none is given.
export function budgetRequest(communityCode, year, form, version) {
  const sources = [];
  let total = 0;
  for (const kind of SOURCE_KINDS) {
    const text = trimmed(form.sources[kind]);
    if (!text) continue;
    const fen = yuanToFen(text);
    if (fen === null || fen <= 0) return { error: kind };
    total += fen;
    const source = { kind, amount_fen: fen };
    const note = trimmed(form.notes && form.notes[kind]);
    if (note) source.note = note;
    sources.push(source);
  }
  if (!sources.length) return { error: "sources" };
  const body = { community_code: communityCode, year: Number(year), budget_fen: total, sources };
  const note = trimmed(form.note);
  if (note) body.note = note;
  if (version) body.expected_version = Number(version);
  return { body };
}

// FundingSpendingRecord's body from the spending form.
export function spendingRequest(communityCode, form) {
  if (!PURPOSES.includes(form.purpose)) return { error: "purpose" };
  const fen = yuanToFen(form.amount);
  if (fen === null || fen <= 0) return { error: "amount_fen" };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(trimmed(form.spent_on))) return { error: "spent_on" };
  const voucher = trimmed(form.voucher);
  if (!voucher) return { error: "voucher" };
  const description = trimmed(form.description);
  if (!description) return { error: "description" };
  return { body: { community_code: communityCode, purpose: form.purpose, amount_fen: fen, spent_on: trimmed(form.spent_on),
    voucher, description } };
}
