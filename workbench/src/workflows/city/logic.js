// 全市排名's figures from CityScorecardGet (the city's evaluation,
// evaluation@city): the districts ranked like with like, in total (the
// service's rank by composite) and per KPI (here, by each KPI's own
// direction: toward the scheme's target from its threshold), and the
// half-years a reader may choose.
import { halfYears } from "../leader/figures.js";

// The city's evaluation as the gateway reaches it.
export const CITY_INSTANCE = "evaluation@city";

export function cityScorecardPath(period) {
  if (!/^\d{4}-H[12]$/.test(period)) throw new Error(`not a half-year: ${period}`);
  return `/v1/instances/${CITY_INSTANCE}/evaluation/city-scorecards/${period}`;
}

// The half-years offered: the current one first, then the three before it.
export function periodChoices(ms = Date.now()) {
  const { current } = halfYears(ms);
  const list = [current];
  let [year, half] = current.split("-H").map(Number);
  while (list.length < 4) {
    if (half === 2) half = 1;
    else { half = 2; year -= 1; }
    list.push(`${year}-H${half}`);
  }
  return list;
}

// Whether more of a KPI is better: its target lies above its threshold
// (a backlog's target 0 below its threshold 20: less is better).
export function higherIsBetter(item) {
  return !(Number(item.target ?? 0) < Number(item.threshold ?? 0));
}

// The rank of each district's value for the KPI at index n (1 = best, ties
// share the rank as the service ranks composites); null for a district
// without a value. Returns one entry per district in the card's order.
export function kpiRanks(districts, n) {
  const items = districts.map(d => (d.items || [])[n] || null);
  const valued = items.filter(i => i && i.has_value);
  return items.map(item => {
    if (!item || !item.has_value) return null;
    const up = higherIsBetter(item);
    const value = Number(item.value ?? 0);
    return 1 + valued.filter(o => (up ? Number(o.value ?? 0) > value : Number(o.value ?? 0) < value)).length;
  });
}

// The scheme's KPIs as columns: code, name as the service gives it, weight,
// target and threshold (from the first district that has the item).
export function kpiColumns(card) {
  const first = (card && card.districts && card.districts[0]) || null;
  return ((first && first.items) || []).map(i => ({
    code: i.kpi_code, name: i.kpi_name || i.kpi_code, weight: Number(i.weight ?? 0),
    target: Number(i.target ?? 0), threshold: Number(i.threshold ?? 0), higher: higherIsBetter(i),
  }));
}

// A row per district, best first as the service ranked them: its rank and
// composite, and per KPI the value, the score, the rank among the districts.
export function districtRows(card) {
  const districts = (card && card.districts) || [];
  const columns = kpiColumns(card);
  const ranks = columns.map((_, n) => kpiRanks(districts, n));
  return districts.map((d, row) => ({
    code: d.unit_code,
    name: d.unit_name || d.unit_code,
    rank: Number(d.rank ?? 0),
    ranked: Number(d.ranked ?? 0),
    composite: Number(d.composite ?? 0),
    scored: (d.items || []).some(i => i.has_value),
    flag: d.flag || "APPRAISAL_FLAG_NONE",
    kpis: columns.map((column, n) => {
      const item = (d.items || [])[n] || {};
      return {
        code: column.code,
        value: item.has_value ? Number(item.value ?? 0) : null,
        score: item.has_value ? Number(item.score ?? 0) : null,
        below: Boolean(item.below_threshold),
        rank: ranks[n][row],
      };
    }),
  }));
}

// The districts the city follows and the logs of each ("sifang:grid" as
// "grid"), with the district's name where the card scored it: followed
// carries the sources' district names (sifang), districts the unit names.
export function followedDistricts(card) {
  return ((card && card.followed) || []).map(f => ({
    name: f.name,
    sources: (f.sources || []).map(s => s.slice(s.indexOf(":") + 1)),
  }));
}
