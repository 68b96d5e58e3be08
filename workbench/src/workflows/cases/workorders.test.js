// The work-order rules' steps on the case page: which a case allows now,
// and each step's request with the case's version.
import { describe, expect, it } from "vitest";
import { completeRequest, mayReview, orderRequest, orderStepsFor, reviewWaitsOn } from "./workorders.js";

const NOW = Date.UTC(2026, 11, 7, 2, 0);
const assigned = { id: 7, version: 3, status: "CASE_STATUS_ASSIGNED", due_unix_ms: String(NOW + 86400000),
  stages: { assignment: 1, signed_unix_ms: "0" } };
const ref = { id: 7, expected_version: 3 };

describe("orderStepsFor", () => {
  it("offers an assigned case not yet signed for: sign, send back, extension, co-handler", () => {
    expect(orderStepsFor(assigned, NOW)).toEqual(["sign", "sendBack", "extensionAsk", "cohandlerAdd"]);
  });
  it("offers no sign once signed, no send-back of a no-owner case, no extension past the due time", () => {
    const c = { ...assigned, no_owner: true, due_unix_ms: String(NOW - 1), stages: { signed_unix_ms: "5" } };
    expect(orderStepsFor(c, NOW)).toEqual(["cohandlerAdd"]);
  });
  it("decides a pending extension instead of asking again, and reviews a pending reply", () => {
    const c = { ...assigned, status: "CASE_STATUS_IN_PROGRESS", extension: { state: "CASE_EXTENSION_STATE_PENDING" } };
    expect(orderStepsFor(c, NOW)).toEqual(["extensionDecide", "cohandlerAdd"]);
    const r = { id: 1, status: "CASE_STATUS_RESOLVED", review: { state: "CASE_REVIEW_STATE_PENDING" } };
    expect(orderStepsFor(r, NOW)).toEqual(["review"]);
    expect(orderStepsFor({ ...r, review: { state: "CASE_REVIEW_STATE_APPROVED" } }, NOW)).toEqual([]);
    expect(orderStepsFor(null, NOW)).toEqual([]);
  });
});

// 审核: intake takes the review from grid's reviewer alone (intake_reviewer_of),
// never from the reply's writer; the case says whom it waits on
// (review.expected_reviewer), and the page offers the step to that person.
describe("the review of a reply", () => {
  const pending = who => ({ id: 1, status: "CASE_STATUS_RESOLVED",
    review: { state: "CASE_REVIEW_STATE_PENDING", resolved_by: "S-writer", expected_reviewer: who } });
  const named = pending({ kind: "ASSIGNEE_KIND_STAFF", code: "S-rev", name: "孙审", route: "reviewer" });
  it("is offered to the named reviewer alone, and tells the others whom it waits on", () => {
    expect(orderStepsFor(named, NOW, "S-rev")).toEqual(["review"]);
    expect(orderStepsFor(named, NOW, "S-writer")).toEqual([]);
    expect(orderStepsFor(named, NOW, "S-other")).toEqual([]);
    expect(orderStepsFor(named, NOW)).toEqual([]);
    expect(mayReview(named, "S-rev")).toBe(true);
    expect(reviewWaitsOn(named, "S-rev")).toBe("");
    expect(reviewWaitsOn(named, "S-writer")).toBe("孙审");
    expect(reviewWaitsOn(pending({ kind: "ASSIGNEE_KIND_STAFF", code: "S-rev", name: "" }), "S-x")).toBe("S-rev");
  });
  it("is offered, when grid names no one, to the unit's people but not to the writer", () => {
    const unit = pending({ kind: "ASSIGNEE_KIND_UNIT", code: "370205001001", name: "某社区", route: "reviewer" });
    expect(orderStepsFor(unit, NOW, "S-street")).toEqual(["review"]);
    expect(orderStepsFor(unit, NOW, "S-writer")).toEqual([]);
    expect(reviewWaitsOn(unit, "S-writer")).toBe("某社区");
    expect(reviewWaitsOn(unit, "S-street")).toBe("");
    // A case that does not say (an older intake): only the writer is kept out.
    expect(orderStepsFor(pending(undefined), NOW, "S-writer")).toEqual([]);
    expect(orderStepsFor(pending(undefined), NOW, "S-other")).toEqual(["review"]);
    expect(reviewWaitsOn(pending(undefined), "S-writer")).toBe("");
    expect(reviewWaitsOn({ ...named, review: { ...named.review, state: "CASE_REVIEW_STATE_APPROVED" } }, "S-x")).toBe("");
  });
});

describe("orderRequest", () => {
  it("builds each step's request as intake takes it", () => {
    expect(orderRequest("sign", assigned, { note: " 已签收 " })).toEqual({ ref, note: "已签收" });
    expect(orderRequest("sendBack", assigned, { reason: " 不属于本网格 " })).toEqual({ ref, reason: "不属于本网格" });
    expect(orderRequest("extensionAsk", assigned, { workingDays: "5", reason: "待核实" }))
      .toEqual({ ref, working_days: 5, reason: "待核实" });
    expect(orderRequest("extensionDecide", assigned, { decision: "approve", note: "" }))
      .toEqual({ ref, approved: true, note: "" });
    expect(orderRequest("review", assigned, { decision: "refuse", note: "未说明期限" }))
      .toEqual({ ref, approved: false, note: "未说明期限" });
    expect(orderRequest("cohandlerAdd", assigned, { coKind: "ASSIGNEE_KIND_UNIT", coCode: " 370205001 ", task: "核实",
      workingDays: 2 })).toEqual({ ref, co_handler: { kind: "ASSIGNEE_KIND_UNIT", code: "370205001" }, task: "核实",
      working_days: 2 });
    expect(completeRequest(assigned, { seq: 2 }, " 已完成 ")).toEqual({ ref, task_seq: 2, reply: "已完成" });
    expect(() => orderRequest("nothing", assigned, {})).toThrow();
  });
});
