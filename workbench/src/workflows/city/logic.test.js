import { describe, expect, it } from "vitest";
import { cityScorecardPath, districtRows, followedDistricts, higherIsBetter, kpiColumns, kpiRanks, periodChoices }
  from "./logic.js";

const item = (code, value, extra = {}) => ({ kpi_code: code, kpi_name: code, has_value: value !== null,
  value: value ?? 0, score: 50, weight: 10, target: 98, threshold: 85, ...extra });

const card = {
  period: "2026-H2",
  districts: [
    { unit_code: "370205", unit_name: "四方区", rank: 1, ranked: 2, composite: 80.5,
      items: [item("on_time_rate", 96), item("backlog", 30, { target: 0, threshold: 20 }), item("x", null)] },
    { unit_code: "370203", unit_name: "市北区", rank: 2, ranked: 2, composite: 61,
      items: [item("on_time_rate", 97.5), item("backlog", 3, { target: 0, threshold: 20 }), item("x", 5)] },
  ],
  followed: [{ name: "sifang", sources: ["sifang:grid", "sifang:intake@civil-affairs"] },
             { name: "shibei", sources: ["shibei:grid"] }],
};

describe("city ranking", () => {
  it("asks the city's evaluation through the gateway", () => {
    expect(cityScorecardPath("2026-H1")).toBe("/v1/instances/evaluation@city/evaluation/city-scorecards/2026-H1");
    expect(() => cityScorecardPath("2026-13")).toThrow();
  });

  it("offers the current half-year and the three before it", () => {
    // 2026-12-07 in Shanghai.
    expect(periodChoices(Date.UTC(2026, 11, 7, 4))).toEqual(["2026-H2", "2026-H1", "2025-H2", "2025-H1"]);
    // 2027-01-01 00:30 in Shanghai is still 2026 in UTC.
    expect(periodChoices(Date.UTC(2026, 11, 31, 16, 30))[0]).toBe("2027-H1");
  });

  it("ranks per KPI toward its target, ties sharing, no value unranked", () => {
    expect(higherIsBetter({ target: 98, threshold: 85 })).toBe(true);
    expect(higherIsBetter({ target: 0, threshold: 20 })).toBe(false);
    expect(kpiRanks(card.districts, 0)).toEqual([2, 1]);
    expect(kpiRanks(card.districts, 1)).toEqual([2, 1]);
    expect(kpiRanks(card.districts, 2)).toEqual([null, 1]);
    const tied = [{ items: [item("a", 5)] }, { items: [item("a", 5)] }, { items: [item("a", 4)] }];
    expect(kpiRanks(tied, 0)).toEqual([1, 1, 3]);
  });

  it("gives a row per district in the service's order with every KPI", () => {
    expect(kpiColumns(card).map(c => [c.code, c.higher])).toEqual([["on_time_rate", true], ["backlog", false], ["x", true]]);
    const rows = districtRows(card);
    expect(rows.map(r => [r.name, r.rank, r.composite])).toEqual([["四方区", 1, 80.5], ["市北区", 2, 61]]);
    expect(rows[0].kpis.map(k => [k.value, k.rank])).toEqual([[96, 2], [30, 2], [null, null]]);
    expect(rows[1].kpis.map(k => [k.value, k.rank])).toEqual([[97.5, 1], [3, 1], [5, 1]]);
    expect(districtRows(null)).toEqual([]);
  });

  it("names the followed districts and their logs", () => {
    expect(followedDistricts(card)).toEqual([
      { name: "sifang", sources: ["grid", "intake@civil-affairs"] }, { name: "shibei", sources: ["grid"] },
    ]);
  });
});
