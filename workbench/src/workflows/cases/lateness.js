// The stage-lateness list's rules (环节超时, docs/work-orders.md): intake's
// CaseStageLateList rows, each a stage (签收, first response, completion)
// that fell due under a holder (a person, a unit or a department) and was
// late; the page asks for them under a unit and by stage, keeps those whose
// due time lies in the period, and counts them by holder and by the
// holder's unit, each stage apart: the tier that held the case when the
// stage fell due, not the one holding it now.

export const STAGES = ["CASE_STAGE_RECEIPT", "CASE_STAGE_FIRST_RESPONSE", "CASE_STAGE_COMPLETION"];
const DAY_MS = 86400000;
const DISTRICT_OFFSET = "+08:00";   // Asia/Shanghai has no summer time

// The list's query: the unit's subtree and the stage ("" = every stage).
export function lateQuery({ under = "", stage = "" } = {}) {
  return { under: String(under || "").trim() || undefined, stage: STAGES.includes(stage) ? stage : undefined };
}

// A period of district days ["YYYY-MM-DD", "YYYY-MM-DD"] (both included) as
// [from, to) in unix milliseconds; an empty period is every time.
export function periodBounds(period) {
  if (!Array.isArray(period) || !period[0] || !period[1]) return [0, Infinity];
  const from = Date.parse(`${period[0]}T00:00:00${DISTRICT_OFFSET}`);
  const to = Date.parse(`${period[1]}T00:00:00${DISTRICT_OFFSET}`) + DAY_MS;
  return [Number.isNaN(from) ? 0 : from, Number.isNaN(to) ? Infinity : to];
}

// The rows whose stage fell due in the period.
export function inPeriod(rows, period) {
  const [from, to] = periodBounds(period);
  return (rows || []).filter(r => Number(r.due_unix_ms) >= from && Number(r.due_unix_ms) < to);
}

// The holder as one key: kind and code (a person's staff id, a unit's or a
// department's code).
export function holderKey(row) {
  const h = row.holder || {};
  return `${h.kind || "ASSIGNEE_KIND_UNSPECIFIED"}:${h.code || ""}`;
}

function tally(rows, keyOf, first) {
  const groups = new Map();
  for (const row of rows || []) {
    const key = keyOf(row);
    let g = groups.get(key);
    if (!g) {
      g = { key, ...first(row), CASE_STAGE_RECEIPT: 0, CASE_STAGE_FIRST_RESPONSE: 0, CASE_STAGE_COMPLETION: 0,
        total: 0, cases: new Set() };
      groups.set(key, g);
    }
    if (STAGES.includes(row.stage)) g[row.stage] += 1;
    g.total += 1;
    g.cases.add(String(row.case_id));
  }
  // The most late first; then by key, so that the order is the same each time.
  return [...groups.values()].map(g => ({ ...g, cases: g.cases.size }))
    .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// Late stages per holder at the time (person, unit or department), with
// the unit answering for them.
export function byHolder(rows) {
  return tally(rows, holderKey, row => ({ holder: row.holder || {}, unit: row.holder_unit || "" }));
}

// Late stages per unit answering for the holder ("" for a department,
// counted apart as its own).
export function byUnit(rows) {
  return tally(rows, row => row.holder_unit || (row.holder && row.holder.code) || "",
    row => ({ unit: row.holder_unit || "", department: row.holder_unit ? "" : (row.holder && row.holder.code) || "" }));
}

// Each stage's count, and the total.
export function stageCounts(rows) {
  const counts = { CASE_STAGE_RECEIPT: 0, CASE_STAGE_FIRST_RESPONSE: 0, CASE_STAGE_COMPLETION: 0, total: 0 };
  for (const row of rows || []) {
    if (STAGES.includes(row.stage)) counts[row.stage] += 1;
    counts.total += 1;
  }
  return counts;
}

// The last `days` district days up to today, as the date picker holds them.
export function recentDays(days, today) {
  const end = Date.parse(`${today}T00:00:00${DISTRICT_OFFSET}`);
  const start = new Date(end - (days - 1) * DAY_MS + 8 * 3600000).toISOString().slice(0, 10);
  return [start, today];
}
