// The leader's figures as pure functions: which half-years to compare,
// which level lies below a unit, how each service's reply becomes one row
// per child unit, and how a zone is coloured on the map. Kept apart from
// the views so that Vitest checks them without a browser.

// The district's calendar (the services count half-years in Asia/Shanghai,
// whatever the browser's zone).
const DISTRICT_TIME_ZONE = "Asia/Shanghai";

// The current evaluation period "YYYY-H1|H2" and the one before, at ms.
export function halfYears(ms = Date.now()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: DISTRICT_TIME_ZONE, year: "numeric", month: "2-digit" })
    .formatToParts(new Date(Number(ms)));
  const year = Number(parts.find(p => p.type === "year").value);
  const month = Number(parts.find(p => p.type === "month").value);
  const half = month <= 6 ? 1 : 2;
  return {
    current: `${year}-H${half}`,
    last: half === 2 ? `${year}-H1` : `${year - 1}-H2`,
  };
}

// The first and last day of a period "YYYY-H1|H2", for employment's from/to.
export function periodDays(period) {
  const [year, half] = period.split("-H");
  return half === "1" ? { from: `${year}-01-01`, to: `${year}-06-30` } : { from: `${year}-07-01`, to: `${year}-12-31` };
}

export const LEVELS = ["UNIT_KIND_DISTRICT", "UNIT_KIND_STREET", "UNIT_KIND_COMMUNITY", "UNIT_KIND_ZONE",
                       "UNIT_KIND_BUILDING_GROUP"];

// The kind of a unit's children ("" below a building group).
export function childKind(kind) {
  const i = LEVELS.indexOf(kind);
  return i >= 0 && i + 1 < LEVELS.length ? LEVELS[i + 1] : "";
}

// Whether the leader can drill further down from a unit of this kind:
// the district, a street and a community; a zone is the last stop.
export function drillable(kind) {
  return ["UNIT_KIND_DISTRICT", "UNIT_KIND_STREET", "UNIT_KIND_COMMUNITY"].includes(kind);
}

// Employment groups its statistics by street or community only.
export function employmentGrouping(kind) {
  return { UNIT_KIND_DISTRICT: "STATISTICS_GROUPING_STREET", UNIT_KIND_STREET: "STATISTICS_GROUPING_COMMUNITY" }[kind] || "";
}

// KPIs that stand for satisfaction, the household survey first (0-100),
// then the return visits (1-5).
const SATISFACTION_KPIS = ["survey_satisfaction", "return_visit_satisfaction"];

// A unit score's value of a KPI, or null when it has none.
export function kpiValue(score, code) {
  const item = ((score && score.items) || []).find(i => i.kpi_code === code);
  return item && item.has_value ? item.value : null;
}

// The satisfaction a score shows: { kpi, value } of the first satisfaction
// KPI of the scheme that has a value, else { kpi: first in the scheme, value: null }.
export function satisfaction(score) {
  const items = (score && score.items) || [];
  let first = "";
  for (const code of SATISFACTION_KPIS) {
    const item = items.find(i => i.kpi_code === code);
    if (!item) continue;
    if (item.has_value) return { kpi: code, value: item.value };
    first = first || code;
  }
  return { kpi: first, value: null };
}

// A unit score's composite, or null when none of its items has a value (a
// period without facts yet: the service's 0 there is no score).
export function composite(score) {
  if (!score || !((score.items || []).some(i => i.has_value))) return null;
  return score.composite;
}

// Every unit score of a scorecard by unit code (district, streets,
// communities).
export function scoresByUnit(card) {
  const map = {};
  if (!card) return map;
  for (const s of [card.district, ...(card.streets || []), ...(card.communities || [])])
    if (s && s.unit_code) map[s.unit_code] = s;
  return map;
}

// One row per child unit, in grid's order, with each service's figures
// where that service answered (undefined where it did not: the table shows
// "–", never a 0 that was not counted).
//   children: grid's units; backlog: CaseBacklog reply or null;
//   employment: Statistics reply or null; volunteers: { code: summary };
//   current, last: scorecards or null.
export function childRows(children, { backlog, employment, volunteers, current, last } = {}) {
  const byCode = (reply, key = "rows") => {
    const map = {};
    for (const r of (reply && reply[key]) || []) map[r.unit_code] = r;
    return map;
  };
  const cases = byCode(backlog), jobs = byCode(employment);
  const now = scoresByUnit(current), before = scoresByUnit(last);
  return children.map(unit => {
    const row = { code: unit.code, name: unit.name, kind: unit.kind };
    if (backlog) {
      const b = cases[unit.code] || {};
      row.open = b.open || 0;
      row.overdue = b.overdue || 0;
      row.dueSoon = b.due_soon || 0;
    }
    if (employment && employmentGrouping(childParentKind(unit.kind))) row.placed = (jobs[unit.code] || {}).people_placed || 0;
    if (volunteers && volunteers[unit.code]) row.volunteers = volunteers[unit.code].volunteers || 0;
    if (now[unit.code]) {
      row.composite = composite(now[unit.code]);
      row.satisfaction = satisfaction(now[unit.code]).value;
    }
    if (before[unit.code]) {
      row.lastComposite = composite(before[unit.code]);
      row.lastSatisfaction = satisfaction(before[unit.code]).value;
    }
    return row;
  });
}

function childParentKind(kind) {
  const i = LEVELS.indexOf(kind);
  return i > 0 ? LEVELS[i - 1] : "";
}

// The change from last to current: a signed number, or null when either is
// missing.
export function change(current, last) {
  if (current === null || current === undefined || last === null || last === undefined) return null;
  return current - last;
}

// A zone's value for the map's measure: "backlog" (open cases), "overdue"
// or "satisfaction" (its community's, as the scorecard has no zones).
export function zoneValue(zone, measure, { backlogByZone, scores }) {
  if (measure === "satisfaction") {
    const s = scores && scores[zone.parent_code];
    return s ? satisfaction(s).value : null;
  }
  const b = backlogByZone && backlogByZone[zone.code];
  if (!backlogByZone) return null;
  return measure === "overdue" ? (b ? b.overdue || 0 : 0) : (b ? b.open || 0 : 0);
}

// The map's points: [lon, lat, value, code, name] for every zone with a
// location (a zone without one cannot be placed and is left out).
export function zonePoints(zones, measure, sources) {
  return zones
    .filter(z => z.location && (z.location.lat || z.location.lon))
    .map(z => [z.location.lon, z.location.lat, zoneValue(z, measure, sources), z.code, z.name]);
}

// The range of the map's colour scale: [min, max] of the values there are
// (max above min, so that a district of equal zones still draws).
export function valueRange(points) {
  const values = points.map(p => p[2]).filter(v => v !== null && v !== undefined);
  if (!values.length) return [0, 1];
  const min = Math.min(...values), max = Math.max(...values);
  return [min, max > min ? max : min + 1];
}
