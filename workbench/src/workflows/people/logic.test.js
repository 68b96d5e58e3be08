import { describe, expect, it } from "vitest";
import { awardRequest, figureRows, figureValue, gradeRequest, gradeTag, reportRequest, ungraded } from "./logic.js";

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
});
