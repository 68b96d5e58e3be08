// The overview's rules that are not the view's: the half-years and years
// offered, a point not visited for two months (at the period's end, or now
// when that is sooner), and a department's row from grid's counts and
// volunteer's household visits.
import { periodChoices } from "../visits/logic.js";

const TWO_MONTHS_MS = 61 * 24 * 3600 * 1000;

// Half-years and years only: appraisal is by half-year.
export function appraisalPeriods(nowMs = Date.now()) {
  return periodChoices(nowMs).filter(p => p.kind !== "month");
}

export function unvisitedTooLong(point, period, nowMs = Date.now()) {
  const end = Math.min(period.to, nowMs);
  const last = Number(point.last_visit_unix_ms || 0);
  return !last || end - last > TWO_MONTHS_MS;
}

// grid's DepartmentWorkCount beside volunteer's VisitCount of the same
// department: communities not visited are its pairings less those visited.
export function departmentRows(counts, households) {
  const byKey = new Map((households || []).map(h => [h.key, h]));
  return (counts || []).map(c => {
    const h = byKey.get(c.key) || {};
    const pairings = Number(c.pairings || 0), visited = Number(c.communities_visited || 0);
    return { key: c.key, name: c.name, pairings, visits: Number(c.visits || 0), visited,
      unvisited: Math.max(pairings - visited, 0), problems: Number(c.problems || 0),
      problemsDone: Number(c.problems_done || 0), resources: Number(c.resources || 0),
      householdVisits: Number(h.visits || 0), households: Number(h.households || 0) };
  });
}
