// The employment workflow's rules that are not a view's: a registration and
// a placement as employment takes them, the map's points (home and the
// vacancies, one point a work zone), distances and fit as people read them,
// the period of the figures (this half-year so far) and the units whose
// figures a person reads (their community and street, or the district).

// PersonRegister's request from the form: a job seeker seeking work.
export function registration(form) {
  const request = {
    resident_id: String(form.residentId || "").trim(),
    status: form.status || "LABOR_STATUS_UNEMPLOYED",
    difficulties: [...(form.difficulties || [])],
    seeking_work: form.seekingWork !== false,
    desired_occupations: [...(form.desiredOccupations || [])],
  };
  // The disabled category asks for the certificate (残疾人证), and only it.
  const certificate = String(form.disabilityCertificate || "").trim().toUpperCase();
  if (certificate && request.difficulties.includes("DIFFICULTY_CATEGORY_DISABLED"))
    request.disability_certificate = certificate;
  return request;
}

// Employment's refusals of a difficulty category (employment_difficulty.c)
// in Chinese; other words as they came.
const RULES_ZH = [
  [/4050 is for women aged 40 or more and men aged 50 or more: (?:she|he) is (\d+) on (\S+)/,
   m => `“4050”人员须女满40周岁、男满50周岁（${m[2]} 时 ${m[1]} 周岁）`],
  [/4050 needs the person's birth date and sex/, () => "认定“4050”人员须有出生日期和性别，网格中没有"],
  [/the disabled category needs the disabled person's certificate/, () => "认定残疾人须填写残疾人证号"],
  [/must be a disabled person's certificate number/, () => "不是有效的残疾人证号（身份证号加残疾类别1-7和等级1-4，共20位）"],
  [/is of someone born on (\S+), not of this person/, m => `残疾人证不是本人的（证上出生日期 ${m[1]}）`],
  [/is not a zero-employment household: (\S+) lives there and is in work/,
   m => `该户不是零就业家庭：家庭成员 ${m[1]} 已就业`],
  [/a zero-employment household has no one in work, and the person is/, () => "本人已就业，不属于零就业家庭"],
  [/a zero-employment household needs the person's household/, () => "认定零就业家庭须有家庭户信息，网格中没有"],
];

export function ruleText(text, locale) {
  if (!text || locale === "en") return text;
  for (const [pattern, zh] of RULES_ZH) {
    const match = String(text).match(pattern);
    if (match) return zh(match);
  }
  return text;
}

// PlacementRegister's request: the person placed in a matched vacancy, at
// its enterprise, from the day given.
export function placement(residentId, vacancy, form) {
  return {
    resident_id: residentId,
    vacancy_id: Number(vacancy.id),
    enterprise_credit_code: vacancy.enterprise_credit_code,
    kind: form.kind || "PLACEMENT_KIND_ENTERPRISE",
    source: form.source || "PLACEMENT_SOURCE_SERVICE_CENTRE",
    full_time: vacancy.full_time !== false && form.fullTime !== false,
    start_date: form.startDate,
  };
}

// The points of the map: home (the person's home zone) and one point for
// each work zone with its vacancies, at the zones' locations (lon, lat).
// A zone without a location is left off and its vacancies counted in
// leftOff: grid shows a person the units within their view only, so a
// vacancy in another street has no place on a community's map.
export function mapPoints(homeZone, matches, locations) {
  const at = code => {
    const l = locations[code];
    return l && Number.isFinite(l.lon) && Number.isFinite(l.lat) ? [l.lon, l.lat] : null;
  };
  const home = at(homeZone);
  const byZone = new Map();
  let leftOff = 0;
  for (const m of matches || []) {
    const zone = m.vacancy.work_zone_code;
    const point = at(zone);
    if (!point) {
      leftOff++;
      continue;
    }
    if (!byZone.has(zone)) byZone.set(zone, { zone, value: point, vacancies: [], distance: m.distance_m });
    byZone.get(zone).vacancies.push(m.vacancy);
  }
  return { home, work: [...byZone.values()], leftOff };
}

// "1.2 公里" / "800 米"; "" when a location is unknown (-1).
export function distanceText(meters, en = false) {
  if (meters === undefined || meters === null || meters < 0) return "";
  if (meters < 1000) return en ? `${meters} m` : `${meters} 米`;
  const km = (meters / 1000).toFixed(1);
  return en ? `${km} km` : `${km} 公里`;
}

export function fitPercent(fit) {
  return `${Math.round(Math.max(0, Math.min(1, Number(fit) || 0)) * 100)}%`;
}

export function wageText(vacancy, en = false) {
  const min = vacancy.wage_min || 0, max = vacancy.wage_max || 0;
  if (!min && !max) return "";
  const range = min && max && min !== max ? `${min}-${max}` : String(max || min);
  return en ? `${range} yuan/month` : `${range} 元/月`;
}

// The figures' period: from the first day of this half-year to today, in
// the district's days ("YYYY-MM-DD").
export function halfYear(today) {
  const [year, month] = today.split("-").map(Number);
  return { from: `${year}-${month <= 6 ? "01" : "07"}-01`, to: today };
}

// Whose figures a person reads, from the path down to their unit (district
// first): their community's and their street's, by community; at the
// district, the district's by street.
export function figureScopes(path) {
  const find = kind => (path || []).find(u => u.kind === kind);
  const scopes = [];
  const community = find("UNIT_KIND_COMMUNITY"), street = find("UNIT_KIND_STREET"), district = find("UNIT_KIND_DISTRICT");
  if (community) scopes.push({ unit: community, groupBy: "STATISTICS_GROUPING_COMMUNITY" });
  if (street) scopes.push({ unit: street, groupBy: "STATISTICS_GROUPING_COMMUNITY" });
  if (!scopes.length && district) scopes.push({ unit: district, groupBy: "STATISTICS_GROUPING_STREET" });
  return scopes;
}

// --- the counsellor's follow-through: visits, separations, incubation ------

// A day n days after day ("YYYY-MM-DD"), as a calendar date.
export function addDays(dayText, n) {
  const [y, m, d] = dayText.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + n));
  return date.toISOString().slice(0, 10);
}

// The visits a counsellor plans for: every one not yet made that falls due
// within the next four weeks, the overdue ones first (the list is by due
// date, and those are the earliest).
export function followUpQuery(today, under) {
  return { under, pending_only: true, due_by: addDays(today, 28), page_size: 200 };
}

// The outcomes a visit of its kind may record: a placement's visit asks
// whether the person is still in work, a start-up's whether the business
// goes on; either may find they need help, or not reach them.
export function visitOutcomes(kind) {
  const job = ["FOLLOW_UP_OUTCOME_STILL_EMPLOYED", "FOLLOW_UP_OUTCOME_LEFT_JOB"];
  const business = ["FOLLOW_UP_OUTCOME_BUSINESS_OPERATING", "FOLLOW_UP_OUTCOME_BUSINESS_CLOSED"];
  return [...(kind === "FOLLOW_UP_KIND_STARTUP" ? business : job),
    "FOLLOW_UP_OUTCOME_NEEDS_HELP", "FOLLOW_UP_OUTCOME_NOT_REACHED"];
}

// FollowUpRecord's request from the visit form.
export function followUpVisit(form) {
  return { outcome: form.outcome, visited_on: form.visitedOn, note: String(form.note || "").trim() };
}

// Separations of the last n days (PlacementList's query).
export function separationsQuery(today, under, days = 90) {
  return { under, ended_from: addDays(today, -days), ended_to: today, page_size: 200 };
}

// A share (0..1) as a percentage with one decimal.
export function percentText(value) {
  return `${(Number(value || 0) * 100).toFixed(1)}%`;
}

// Whose hiring figures a person reads: their street's (its vacancies and
// enterprises), or the district's.
export function hiringScope(path) {
  const find = kind => (path || []).find(u => u.kind === kind);
  return find("UNIT_KIND_STREET") || find("UNIT_KIND_DISTRICT") || null;
}

// --- recording a separation and a base's tenants ---------------------------

// The reasons a separation (PlacementEnd) accepts, as the contract lists
// them; the reason is required, so "unspecified" is not offered.
export const SEPARATION_REASONS = ["SEPARATION_REASON_CONTRACT_ENDED", "SEPARATION_REASON_RESIGNED",
  "SEPARATION_REASON_DISMISSED", "SEPARATION_REASON_MUTUAL", "SEPARATION_REASON_ENTERPRISE_CLOSED",
  "SEPARATION_REASON_OTHER"];

// PlacementEnd's request from the separation form, against the version of
// the placement the counsellor saw (someone else's change is refused, not
// overwritten).
export function separation(placementRow, form) {
  const request = { end_date: form.endDate, reason: form.reason, note: String(form.note || "").trim() };
  if (placementRow && placementRow.version) request.expected_version = Number(placementRow.version);
  return request;
}

// IncubationTenantAdmit's request: the business moving into the base, the
// entrepreneur (a resident id) and the credit code only when given.
export function tenantAdmission(baseId, form) {
  const request = { base_id: Number(baseId), business_name: String(form.businessName || "").trim(),
    entered_on: form.enteredOn };
  const creditCode = String(form.creditCode || "").trim().toUpperCase();
  const residentId = String(form.residentId || "").trim();
  if (creditCode) request.business_credit_code = creditCode;
  if (residentId) request.resident_id = residentId;
  return request;
}

// IncubationTenantLeave's request: the day they moved out and why.
export function tenantLeave(tenantRow, form) {
  const request = { left_on: form.leftOn, reason: String(form.reason || "").trim() };
  if (tenantRow && tenantRow.version) request.expected_version = Number(tenantRow.version);
  return request;
}

// --- a vacancy's seekers (MatchSeekers) and recommending one ---------------

// MatchSeekers' query: the service's own circle unless a radius is asked
// for (kilometres on the page, metres on the wire), and how many.
export function seekersQuery({ radiusKm, limit } = {}) {
  const query = {};
  const km = Number(radiusKm);
  if (km > 0) query.radius_m = Math.round(km * 1000);
  if (Number(limit) > 0) query.limit = Math.floor(Number(limit));
  return query;
}

// The seekers as the counsellor reads them, in the service's order
// (difficulty categories first, then within the circle, fit, distance),
// numbered from 1; each says whether they are helped first (援助对象).
export function seekerRows(matches) {
  return (matches || []).map((m, i) => ({
    rank: i + 1,
    resident_id: m.person.resident_id,
    name: m.person.name || "",
    gender: m.person.gender || "GENDER_UNSPECIFIED",
    birth_date: m.person.birth_date || "",
    difficulties: [...(m.person.difficulties || [])],
    helped_first: (m.person.difficulties || []).length > 0,
    home_zone_code: m.person.home_zone_code || "",
    desired_occupations: [...(m.person.desired_occupations || [])],
    fit: Number(m.fit || 0),
    distance_m: m.distance_m ?? -1,
    within_circle: !!m.within_circle,
  }));
}

// Recommending a seeker to the vacancy is placing them there (就业登记
// through the service centre): PlacementRegister for the vacancy, from the
// day agreed.
export function recommendation(row, vacancy, form) {
  return placement(row.resident_id, vacancy, { source: "PLACEMENT_SOURCE_SERVICE_CENTRE", ...form });
}

// The street (or the district) whose open vacancies the counsellor lists:
// the one of their hiring figures.
export function vacanciesQuery(scope) {
  return { under: scope ? scope.code : "", open_only: true, page_size: 200 };
}
