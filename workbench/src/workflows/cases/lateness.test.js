import { describe, expect, it } from "vitest";
import { byHolder, byUnit, holderKey, inPeriod, lateQuery, periodBounds, recentDays, stageCounts } from "./lateness.js";

const staff = (code, name) => ({ kind: "ASSIGNEE_KIND_STAFF", code, name, route: "holder" });
const station = { kind: "ASSIGNEE_KIND_UNIT", code: "370205001001", name: "福寿社区服务站", route: "holder" };
const dept = { kind: "ASSIGNEE_KIND_DEPARTMENT", code: "civil-affairs", name: "民政局", route: "holder" };
// 2026-12-07 09:00 and 2026-12-01 00:00 in the district (UTC+8).
const DEC7 = Date.UTC(2026, 11, 7, 1, 0);
const DEC1 = Date.UTC(2026, 10, 30, 16, 0);
const rows = [
  { case_id: 9, stage: "CASE_STAGE_RECEIPT", assignment: 2, holder: station, holder_unit: "370205001001", due_unix_ms: DEC7 },
  { case_id: 9, stage: "CASE_STAGE_RECEIPT", assignment: 1, holder: staff("S1", "王"), holder_unit: "370205001001", due_unix_ms: DEC1 },
  { case_id: 8, stage: "CASE_STAGE_COMPLETION", assignment: 1, holder: staff("S1", "王"), holder_unit: "370205001001", due_unix_ms: DEC1 - 1 },
  { case_id: 7, stage: "CASE_STAGE_FIRST_RESPONSE", assignment: 1, holder: dept, holder_unit: "", due_unix_ms: DEC7 },
  { case_id: 7, stage: "CASE_STAGE_COMPLETION", assignment: 1, holder: staff("S1", "王"), holder_unit: "370205001001", due_unix_ms: DEC7 },
];

describe("stage lateness", () => {
  it("asks under a unit, by stage", () => {
    expect(lateQuery({ under: " 370205001 ", stage: "CASE_STAGE_RECEIPT" }))
      .toEqual({ under: "370205001", stage: "CASE_STAGE_RECEIPT" });
    expect(lateQuery({ under: "", stage: "" })).toEqual({ under: undefined, stage: undefined });
    expect(lateQuery({ stage: "CASE_STAGE_UNKNOWN" }).stage).toBe(undefined);
  });
  it("keeps the stages due in the period, by district days", () => {
    expect(periodBounds(["2026-12-01", "2026-12-07"])).toEqual([DEC1, Date.UTC(2026, 11, 7, 16, 0)]);
    expect(periodBounds(null)).toEqual([0, Infinity]);
    expect(inPeriod(rows, ["2026-12-01", "2026-12-07"]).map(r => r.due_unix_ms)).toEqual([DEC7, DEC1, DEC7, DEC7]);
    expect(inPeriod(rows, ["2026-12-08", "2026-12-31"])).toEqual([]);
    expect(inPeriod(rows, null)).toHaveLength(5);
    expect(recentDays(7, "2026-12-07")).toEqual(["2026-12-01", "2026-12-07"]);
    expect(recentDays(1, "2026-12-07")).toEqual(["2026-12-07", "2026-12-07"]);
  });
  it("counts by stage, holder and the holder's unit", () => {
    expect(stageCounts(rows)).toEqual({ CASE_STAGE_RECEIPT: 2, CASE_STAGE_FIRST_RESPONSE: 1, CASE_STAGE_COMPLETION: 2, total: 5 });
    const holders = byHolder(rows);
    expect(holders.map(h => [h.key, h.total, h.cases])).toEqual([
      ["ASSIGNEE_KIND_STAFF:S1", 3, 3], ["ASSIGNEE_KIND_DEPARTMENT:civil-affairs", 1, 1],
      ["ASSIGNEE_KIND_UNIT:370205001001", 1, 1]]);
    expect(holders[0]).toMatchObject({ CASE_STAGE_RECEIPT: 1, CASE_STAGE_FIRST_RESPONSE: 0, CASE_STAGE_COMPLETION: 2,
      unit: "370205001001", holder: { name: "王" } });
    expect(holderKey(rows[3])).toBe("ASSIGNEE_KIND_DEPARTMENT:civil-affairs");
    const units = byUnit(rows);
    expect(units.map(u => [u.key, u.unit, u.department, u.total, u.CASE_STAGE_RECEIPT])).toEqual([
      ["370205001001", "370205001001", "", 4, 2], ["civil-affairs", "", "civil-affairs", 1, 0]]);
  });
});
