import { describe, expect, it } from "vitest";
import { awardRequest, figureRows, figureValue, formulaText, gradeRequest, gradeTag, kpiShown, personKpiRequest,
  reportRequest, teamUnitOptions, ungraded } from "./logic.js";

describe("people logic", () => {
  it("shows window work always and zone work only for someone with zones", () => {
    const rows = figureRows({ cases_registered: 3, cases_handled: 2, on_time_rate: 50, satisfaction: 4 });
    expect(rows.window.map(r => r[0])).toEqual(["cases_registered", "cases_handled", "cases_handled_on_time",
      "on_time_rate", "cases_reworked", "return_visits", "satisfaction", "average_handling_hours"]);
    expect(rows.window[0][1]).toBe(3);
    expect(rows.window[4][1]).toBe(0);
    expect(rows.zones).toEqual([]);
    const cadre = figureRows({ zones: ["37020500100101", "37020500100102"], zones_backlog: 1, contact_rate: 80 });
    expect(cadre.zones[0]).toEqual(["zones", 2, 0]);
    expect(cadre.zones[1]).toEqual(["zones_backlog", 1, 0]);
    expect(figureRows(null)).toEqual({ window: [], zones: [] });
  });
  it("has no share or mean over nothing", () => {
    expect(figureValue({ cases_handled: 0, on_time_rate: 0 }, "on_time_rate")).toBe(null);
    expect(figureValue({ cases_handled: 2, on_time_rate: 50 }, "on_time_rate")).toBe(50);
    expect(figureValue({ cases_handled: 2, return_visits: 0 }, "satisfaction")).toBe(null);
    expect(figureValue({ pairings_active: 0 }, "contact_rate")).toBe(null);
    expect(figureValue({}, "cases_reworked")).toBe(0);
    expect(figureRows({ cases_handled: 0 }).window[3]).toEqual(["on_time_rate", null, 1]);
  });
  it("builds the requests", () => {
    expect(reportRequest("S00001", "2026-H2", "  述职\n内容 ")).toEqual({ staff_id: "S00001", period: "2026-H2",
      text: "  述职\n内容 " });
    expect(gradeRequest("APPRAISAL_GRADE_EXCELLENT", " 好 ")).toEqual({ grade: "APPRAISAL_GRADE_EXCELLENT", note: "好" });
    expect(awardRequest({ award: " 先进社区 ", subject: "370205001001", period: "2026-H1", outcome: "AWARD_OUTCOME_AWARDED" }))
      .toEqual({ award: "先进社区", unit_code: "370205001001", period: "2026-H1", outcome: "AWARD_OUTCOME_AWARDED" });
    expect(awardRequest({ award: "优秀", subject: "S00002", period: "2026-H1", outcome: "AWARD_OUTCOME_NOT_AWARDED",
      note: " 基本称职 " })).toEqual({ award: "优秀", staff_id: "S00002", period: "2026-H1",
      outcome: "AWARD_OUTCOME_NOT_AWARDED", note: "基本称职" });
  });
  it("tags grades and tells the ungraded", () => {
    expect(gradeTag("APPRAISAL_GRADE_BASIC")).toBe("warning");
    expect(gradeTag(undefined)).toBe("info");
    expect(ungraded({})).toBe(true);
    expect(ungraded({ grade: "APPRAISAL_GRADE_COMPETENT" })).toBe(false);
  });
  it("offers a manager their unit, then each street with its communities, by grid's names", () => {
    const root = { code: "370205", name: "四方区", kind: "UNIT_KIND_DISTRICT" };
    const units = [
      { code: "370205002001", name: "错埠岭社区", kind: "UNIT_KIND_COMMUNITY", parent_code: "370205002" },
      { code: "370205001", name: "四方街道", kind: "UNIT_KIND_STREET", parent_code: "370205" },
      { code: "370205002", name: "兴隆路街道", kind: "UNIT_KIND_STREET", parent_code: "370205" },
      { code: "370205001001", name: "杭州路社区", kind: "UNIT_KIND_COMMUNITY", parent_code: "370205001" },
    ];
    expect(teamUnitOptions(root, units)).toEqual([
      { code: "370205", name: "四方区", label: "四方区", depth: 0 },
      { code: "370205001", name: "四方街道", label: "四方街道", depth: 1 },
      { code: "370205001001", name: "杭州路社区", label: "四方街道 · 杭州路社区", depth: 2 },
      { code: "370205002", name: "兴隆路街道", label: "兴隆路街道", depth: 1 },
      { code: "370205002001", name: "错埠岭社区", label: "兴隆路街道 · 错埠岭社区", depth: 2 },
    ]);
    // A community's manager: their community alone.
    expect(teamUnitOptions({ code: "370205001001", name: "杭州路社区", kind: "UNIT_KIND_COMMUNITY" }, []))
      .toEqual([{ code: "370205001001", name: "杭州路社区", label: "杭州路社区", depth: 0 }]);
    expect(teamUnitOptions(null, units)).toEqual([]);
  });
  it("shows a person KPI with its label, none without a value", () => {
    const format = (v, d) => v.toFixed(d);
    expect(kpiShown({ has_value: true, value: 33.333, unit_label: "%" }, format)).toBe("33.3 %");
    expect(kpiShown({ has_value: true, value: 4, unit_label: "分" }, format)).toBe("4.00 分");
    expect(kpiShown({ has_value: false, value: 0, unit_label: "%" }, format)).toBe("–");
    expect(kpiShown(undefined, format)).toBe("–");
  });
  it("reads a person KPI's definition in words and makes the request to change it", () => {
    const names = { cases_handled_on_time: "按时办结件数", cases_handled: "办结件数", cases_reworked: "返工次数" };
    expect(formulaText({ numerator: "#{cases_handled_on_time}", denominator: "#{cases_handled}", factor: 100 }, names))
      .toBe("按时办结件数 ÷ 办结件数 × 100");
    expect(formulaText({ numerator: "#{cases_reworked}", denominator: "#{cases_handled}+#{cases_reworked}", factor: 1 },
                       names)).toBe("返工次数 ÷ (办结件数+返工次数)");
    expect(formulaText({ numerator: "#{visits}", denominator: "" }, names)).toBe("visits");
    expect(personKpiRequest({ code: "rework_rate", name: " 返工率 ", numerator: "#{cases_reworked}",
                              denominator: "#{cases_handled}", factor: "1000", unit_label: "‰", retired: 0 }))
      .toEqual({ code: "rework_rate", name: "返工率", numerator: "#{cases_reworked}", denominator: "#{cases_handled}",
                 factor: 1000, direction: "KPI_DIRECTION_HIGHER_BETTER", unit_label: "‰", description: "",
                 retired: false });
  });
});
