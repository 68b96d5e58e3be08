// 入户走访's rules that are not the view's: the periods a person looks back
// over (months, half-years, years in the district's time, +08:00), how the
// visit and follow-up forms become requests (what volunteer requires, said
// before sending), where a visit stands after its follow-ups, and the
// figures of a list of visits.

export const KINDS = ["CONTACT_KIND_VISIT", "CONTACT_KIND_CALL", "CONTACT_KIND_HELP"];
export const NOTE_MAX = 500;
export const HELP_MAX = 200;

const trimmed = value => String(value ?? "").trim();
const startOf = (year, month) => Date.parse(`${year}-${String(month).padStart(2, "0")}-01T00:00:00+08:00`);

// The district's year and month (1..12) of a moment.
function districtMonth(ms) {
  const shifted = new Date(ms + 8 * 3600 * 1000);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1 };
}

// The periods offered, newest first: this month, this half-year, last
// half-year, this year, last year; each { key, kind, year, part, from, to }
// with to exclusive.
export function periodChoices(nowMs = Date.now()) {
  const { year, month } = districtMonth(nowMs);
  const half = month <= 6 ? 1 : 2;
  const nextMonth = month === 12 ? startOf(year + 1, 1) : startOf(year, month + 1);
  const halfOf = (y, h) => ({ key: `${y}-H${h}`, kind: "half", year: y, part: h,
    from: startOf(y, h === 1 ? 1 : 7), to: h === 1 ? startOf(y, 7) : startOf(y + 1, 1) });
  const lastHalf = half === 1 ? halfOf(year - 1, 2) : halfOf(year, 1);
  return [
    { key: `${year}-${String(month).padStart(2, "0")}`, kind: "month", year, part: month,
      from: startOf(year, month), to: nextMonth },
    halfOf(year, half),
    lastHalf,
    { key: `${year}`, kind: "year", year, part: 0, from: startOf(year, 1), to: startOf(year + 1, 1) },
    { key: `${year - 1}`, kind: "year", year: year - 1, part: 0, from: startOf(year - 1, 1), to: startOf(year, 1) },
  ];
}

// A household code (18 digits) typed with spaces or dashes.
export function tidyHousehold(text) {
  return trimmed(text).replace(/[\s-]/g, "");
}

export function isHouseholdCode(text) {
  return /^\d{18}$/.test(text);
}

// Households whose address holds every word of text (spaces split words).
export function matchAddress(households, text) {
  const words = trimmed(text).split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  return households.filter(h => words.every(w => String(h.address || "").includes(w)));
}

// The visit form as VisitRecord's body, or { error: field } naming the
// first field the service would refuse.
export function visitRequest(staffId, form, nowMs = Date.now()) {
  const household = tidyHousehold(form.household_code);
  if (!isHouseholdCode(household)) return { error: "household_code" };
  if (!KINDS.includes(form.kind)) return { error: "kind" };
  const note = trimmed(form.note);
  if (!note) return { error: "note" };
  if ([...note].length > NOTE_MAX) return { error: "note" };
  const help = trimmed(form.help_given);
  if ([...help].length > HELP_MAX) return { error: "help_given" };
  const at = form.at ? Number(form.at) : 0;
  if (at && at > nowMs) return { error: "at_unix_ms" };
  const body = { staff_id: staffId, household_code: household, kind: form.kind, note, help_given: help };
  if (at) body.at_unix_ms = String(at);
  return { body };
}

// The follow-up form as VisitFollowUpAdd's body, or { error: field }.
export function followUpRequest(visit, form, nowMs = Date.now()) {
  const note = trimmed(form.note);
  if (!note || [...note].length > NOTE_MAX) return { error: "note" };
  const at = form.at ? Number(form.at) : 0;
  if (at && at > nowMs) return { error: "at_unix_ms" };
  if (at && at < Number(visit.at_unix_ms || 0)) return { error: "at_unix_ms" };
  const body = { note, done: !!form.done };
  if (at) body.at_unix_ms = String(at);
  return { body };
}

// Where a visit stands: "done" (the latest follow-up settled it),
// "following" (followed up, not settled), "none" (nothing after it).
export function visitState(visit) {
  if (!(visit.follow_ups || []).length) return "none";
  return visit.done ? "done" : "following";
}

// A list of visits counted: visits, distinct households, communities,
// and how many stand done / following / none.
export function visitFigures(visits) {
  const figures = { visits: visits.length, households: new Set(visits.map(v => v.household_code)).size,
    communities: new Set(visits.map(v => v.community_code)).size, done: 0, following: 0, none: 0 };
  for (const v of visits) figures[visitState(v)]++;
  return figures;
}
