// The leader's figures: half-years in the district's calendar, levels,
// rows per child unit from each service's reply, and the map's values.
import { describe, expect, it } from "vitest";
import {
  change, childKind, composite, childRows, drillable, employmentGrouping, halfYears, periodDays, satisfaction, valueRange,
  zonePoints,
} from "./figures.js";

describe("halfYears", () => {
  it("counts the half-year in Asia/Shanghai, not in UTC", () => {
    // 2026-06-30 17:00 UTC is 2026-07-01 01:00 in Qingdao: the second half.
    expect(halfYears(Date.UTC(2026, 5, 30, 17))).toEqual({ current: "2026-H2", last: "2026-H1" });
    expect(halfYears(Date.UTC(2026, 5, 30, 15))).toEqual({ current: "2026-H1", last: "2025-H2" });
    expect(halfYears(Date.UTC(2026, 0, 1, 0))).toEqual({ current: "2026-H1", last: "2025-H2" });
  });
  it("gives a period's days", () => {
    expect(periodDays("2026-H1")).toEqual({ from: "2026-01-01", to: "2026-06-30" });
    expect(periodDays("2025-H2")).toEqual({ from: "2025-07-01", to: "2025-12-31" });
  });
});

describe("levels", () => {
  it("goes district, street, community, zone, and stops drilling at the zone", () => {
    expect(childKind("UNIT_KIND_DISTRICT")).toBe("UNIT_KIND_STREET");
    expect(childKind("UNIT_KIND_COMMUNITY")).toBe("UNIT_KIND_ZONE");
    expect(childKind("UNIT_KIND_BUILDING_GROUP")).toBe("");
    expect(drillable("UNIT_KIND_COMMUNITY")).toBe(true);
    expect(drillable("UNIT_KIND_ZONE")).toBe(false);
    expect(employmentGrouping("UNIT_KIND_DISTRICT")).toBe("STATISTICS_GROUPING_STREET");
    expect(employmentGrouping("UNIT_KIND_STREET")).toBe("STATISTICS_GROUPING_COMMUNITY");
    expect(employmentGrouping("UNIT_KIND_COMMUNITY")).toBe("");
  });
});

describe("satisfaction", () => {
  const item = (kpi_code, value) => ({ kpi_code, has_value: value !== null, value: value ?? 0 });
  it("prefers the household survey, then the return visits", () => {
    expect(satisfaction({ items: [item("return_visit_satisfaction", 4.5), item("survey_satisfaction", 88)] }))
      .toEqual({ kpi: "survey_satisfaction", value: 88 });
    expect(satisfaction({ items: [item("survey_satisfaction", null), item("return_visit_satisfaction", 4.5)] }))
      .toEqual({ kpi: "return_visit_satisfaction", value: 4.5 });
    expect(satisfaction({ items: [item("survey_satisfaction", null)] })).toEqual({ kpi: "survey_satisfaction", value: null });
    expect(satisfaction({ items: [item("on_time_rate", 99)] })).toEqual({ kpi: "", value: null });
  });
});

describe("childRows", () => {
  const streets = [{ code: "370205001", name: "一街道", kind: "UNIT_KIND_STREET" },
                   { code: "370205002", name: "二街道", kind: "UNIT_KIND_STREET" }];
  it("puts each service's figures on its unit and leaves out what did not answer", () => {
    const rows = childRows(streets, {
      backlog: { rows: [{ unit_code: "370205002", open: 3, overdue: 1, due_soon: 2 }] },
      employment: { rows: [{ unit_code: "370205001", people_placed: 5 }] },
      volunteers: { "370205001": { volunteers: 7 } },
      current: { streets: [{ unit_code: "370205001", composite: 81.5, items: [{ kpi_code: "on_time_rate", has_value: true, value: 90 }] }] },
      last: { streets: [{ unit_code: "370205001", composite: 75, items: [{ kpi_code: "on_time_rate", has_value: true, value: 80 }] }] },
    });
    expect(rows[0]).toEqual({ code: "370205001", name: "一街道", kind: "UNIT_KIND_STREET", open: 0, overdue: 0,
                              dueSoon: 0, placed: 5, volunteers: 7, composite: 81.5, satisfaction: null,
                              lastComposite: 75, lastSatisfaction: null });
    expect(rows[1]).toEqual({ code: "370205002", name: "二街道", kind: "UNIT_KIND_STREET", open: 3, overdue: 1,
                              dueSoon: 2, placed: 0 });
    // Intake away: no backlog figures at all (the table shows "–", not 0).
    expect(childRows(streets, {})[0]).toEqual({ code: "370205001", name: "一街道", kind: "UNIT_KIND_STREET" });
  });
  it("has no placements by zone (employment groups by street or community)", () => {
    const rows = childRows([{ code: "z1", name: "一网格", kind: "UNIT_KIND_ZONE" }], { employment: { rows: [] } });
    expect(rows[0].placed).toBeUndefined();
  });
  it("has no composite for a period without facts (the service's 0 is not a score)", () => {
    const rows = childRows(streets, {
      current: { streets: [{ unit_code: "370205001", composite: 80, items: [{ kpi_code: "on_time_rate", has_value: true, value: 90 }] }] },
      last: { streets: [{ unit_code: "370205001", composite: 0, items: [{ kpi_code: "on_time_rate", has_value: false }] }] },
    });
    expect(rows[0].composite).toBe(80);
    expect(rows[0].lastComposite).toBeNull();
    expect(composite({ composite: 0, items: [] })).toBeNull();
  });
  it("computes the change only when both periods have a value", () => {
    expect(change(80, 75.5)).toBe(4.5);
    expect(change(80, null)).toBeNull();
    expect(change(undefined, 3)).toBeNull();
  });
});

describe("the zone map", () => {
  const zones = [
    { code: "z1", name: "一网格", parent_code: "c1", location: { lat: 36.1, lon: 120.3 } },
    { code: "z2", name: "二网格", parent_code: "c2", location: { lat: 36.2, lon: 120.4 } },
    { code: "z3", name: "无坐标", parent_code: "c2" },
  ];
  const sources = {
    backlogByZone: { z1: { open: 4, overdue: 2 } },
    scores: { c1: { items: [{ kpi_code: "survey_satisfaction", has_value: true, value: 91 }] } },
  };
  it("places zones at their centres with the measure's value", () => {
    expect(zonePoints(zones, "backlog", sources)).toEqual([[120.3, 36.1, 4, "z1", "一网格"], [120.4, 36.2, 0, "z2", "二网格"]]);
    expect(zonePoints(zones, "overdue", sources).map(p => p[2])).toEqual([2, 0]);
    expect(zonePoints(zones, "satisfaction", sources).map(p => p[2])).toEqual([91, null]);
    expect(zonePoints(zones, "backlog", { backlogByZone: null }).map(p => p[2])).toEqual([null, null]);
  });
  it("keeps a colour scale that draws when every zone is equal", () => {
    expect(valueRange([[0, 0, 2], [0, 0, 2]])).toEqual([2, 3]);
    expect(valueRange([[0, 0, 1], [0, 0, 5], [0, 0, null]])).toEqual([1, 5]);
    expect(valueRange([])).toEqual([0, 1]);
  });
});
