import { describe, expect, it } from "vitest";
import { appraisalPeriods, departmentRows, unvisitedTooLong } from "./logic.js";

describe("overview logic", () => {
  it("offers half-years and years only", () => {
    expect(appraisalPeriods(Date.parse("2026-12-08T00:00:00Z")).map(p => p.key)).toEqual(["2026-H2", "2026-H1", "2026", "2025"]);
  });
  it("flags a point not visited for two months at the period's end or now", () => {
    const period = { to: Date.parse("2026-07-01T00:00:00+08:00") };
    const now = Date.parse("2026-12-08T00:00:00Z");
    expect(unvisitedTooLong({ last_visit_unix_ms: 0 }, period, now)).toBe(true);
    expect(unvisitedTooLong({ last_visit_unix_ms: String(Date.parse("2026-06-01T00:00:00+08:00")) }, period, now)).toBe(false);
    expect(unvisitedTooLong({ last_visit_unix_ms: String(Date.parse("2026-04-01T00:00:00+08:00")) }, period, now)).toBe(true);
  });
  it("joins grid's counts with volunteer's household visits by department", () => {
    const rows = departmentRows([{ key: "civil", name: "民政局", pairings: 3, communities_visited: 1, visits: 4,
      problems: 2, problems_done: 1, resources: 1 }, { key: "health", name: "卫健局", pairings: 1 }],
    [{ key: "civil", visits: 7, households: 6 }]);
    expect(rows[0]).toMatchObject({ unvisited: 2, householdVisits: 7, households: 6, problemsDone: 1 });
    expect(rows[1]).toMatchObject({ unvisited: 1, visits: 0, householdVisits: 0 });
  });
});
