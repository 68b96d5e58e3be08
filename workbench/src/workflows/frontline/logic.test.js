import { describe, expect, it } from "vitest";
import { followUpRequest, overduePoints, pointTotals, problemUpdateRequest, registrationNumber, visitRequest, workRequest, PROBLEM_CASE,
  PROBLEM_SOLVED, WORK_RESOURCE, WORK_VISIT } from "./logic.js";

describe("visitRequest", () => {
  it("asks for what was found", () => {
    expect(visitRequest("S00001", "370205001001", { findings: "  " })).toEqual({ error: "findings" });
  });
  it("leaves out empty problem lines and the point as its own place", () => {
    const { body } = visitRequest("S00001", "370205001001", {
      findings: " 走访 ", place_code: "370205001001", people_met: " 王大爷 ", problems: ["楼道灯坏了", " ", ""],
      at: 1765000000000,
    });
    expect(body).toEqual({ staff_id: "S00001", point_code: "370205001001", findings: "走访", people_met: "王大爷",
      visited_unix_ms: 1765000000000, problems: [{ description: "楼道灯坏了" }] });
  });
  it("names a zone below the point", () => {
    const { body } = visitRequest("S00001", "370205001001", { findings: "x", place_code: "37020500100101" });
    expect(body.place_code).toBe("37020500100101");
  });
});

describe("problemUpdateRequest", () => {
  it("wants how a problem was solved", () => {
    expect(problemUpdateRequest({ version: 1 }, { status: PROBLEM_SOLVED, resolution: "" })).toEqual({ error: "resolution" });
  });
  it("wants the receipt's 登记编号 for a case, and a case intake has under it", () => {
    expect(problemUpdateRequest({ version: 1 }, { status: PROBLEM_CASE, case_registration: "" })).toEqual({ error: "case_registration" });
    expect(problemUpdateRequest({ version: 1 }, { status: PROBLEM_CASE, case_registration: "第一号" })).toEqual({ error: "case_registration" });
    expect(problemUpdateRequest({ version: 1 }, { status: PROBLEM_CASE, case_registration: "sf20261201-0004711" }, null))
      .toEqual({ error: "case_unknown" });
    const found = { id: "42", registration_number: "SF20261201-0000042" };
    const { body } = problemUpdateRequest({ version: 2 }, { status: PROBLEM_CASE, case_registration: " sf20261201-0000042 " }, found);
    expect(body).toEqual({ status: PROBLEM_CASE, expected_version: 2, case_id: 42, case_registration: "SF20261201-0000042" });
  });
  it("reads a 登记编号 as typed", () => {
    expect(registrationNumber(" sf20261207-0000123 ")).toBe("SF20261207-0000123");
    expect(registrationNumber("4711")).toBe("4711");
    expect(registrationNumber("第一号")).toBe("");
  });
});

describe("workRequest", () => {
  it("wants a community and what was done", () => {
    expect(workRequest("civil-affairs", "S1", { kind: WORK_VISIT, content: "x" })).toEqual({ error: "community_code" });
    expect(workRequest("civil-affairs", "S1", { kind: WORK_VISIT, community_code: "370205001001" })).toEqual({ error: "content" });
  });
  it("measures a resource", () => {
    expect(workRequest("d", "S1", { kind: WORK_RESOURCE, community_code: "c", content: "x", resource_kind: "RESOURCE_KIND_MONEY", amount: "0" }))
      .toEqual({ error: "amount" });
    const { body } = workRequest("d", "S1", { kind: WORK_RESOURCE, community_code: "c", content: "资助", resource_kind: "RESOURCE_KIND_MONEY",
      amount: "5000", people_met: "not for a resource" });
    expect(body).toEqual({ department_code: "d", community_code: "c", kind: WORK_RESOURCE, staff_id: "S1", content: "资助",
      resource_kind: "RESOURCE_KIND_MONEY", amount: 5000 });
  });
});

describe("followUpRequest", () => {
  it("wants what followed", () => {
    expect(followUpRequest({ version: 1 }, { follow_up: " " })).toEqual({ error: "follow_up" });
    expect(followUpRequest({ version: 3 }, { follow_up: "已完成", done: true }).body)
      .toEqual({ follow_up: "已完成", done: true, expected_version: 3 });
  });
});

describe("points", () => {
  const now = Date.UTC(2026, 11, 7);
  const points = [
    { unit_code: "a", visits: 3, problems: 2, problems_open: 1, problems_solved: 1, last_visit_unix_ms: String(now - 10 * 864e5) },
    { unit_code: "b", visits: 0, problems: 0 },
    { unit_code: "c", visits: 1, problems: 1, problems_case: 1, last_visit_unix_ms: now - 90 * 864e5 },
  ];
  it("sums them", () => {
    expect(pointTotals(points)).toEqual({ points: 3, visits: 4, problems: 3, open: 1, solved: 1, cases: 1, unvisited: 1 });
  });
  it("finds those waiting longest", () => {
    expect(overduePoints(points, now).map(p => p.unit_code)).toEqual(["b", "c"]);
  });
});
