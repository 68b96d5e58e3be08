// The case desk's rules: which queue a case stands in (the most pressing
// first), what is escalated to whom, which steps each status allows, and
// how each step's form becomes its request with the case's version.
import { describe, expect, it } from "vitest";
import { QUEUES, STEP_ROUTES, decidesOwner, escalatedTo, handoffOf, handoffStanding, handoffTargets, historyNote, mayActOn,
  mayCancelHandOff, mayHandOff, merge, queueOf, stepLabelKey, stepRequest, stepsFor, timedOutStep } from "./cases.js";
import workflow from "./index.js";

const H = 3600000;
// A hand-off not refused or withdrawn: nothing of its coming back.
const NOT_BACK = { refusal: "", refusedAt: 0, returnedAt: 0, cancelReason: "" };
const UNIT = "37020500100101";
const CLERK = { roles: ["window_clerk"], unit: "370205001001", zones: [], department: "" };
const now = Date.UTC(2026, 11, 7, 2, 0);
const cases = [
  { id: 1, status: "CASE_STATUS_RECEIVED", due_unix_ms: now + 20 * H },
  { id: 2, status: "CASE_STATUS_ACCEPTED", due_unix_ms: now + 100 * H },
  { id: 3, status: "CASE_STATUS_ASSIGNED", due_unix_ms: now + 2 * H },
  { id: 4, status: "CASE_STATUS_IN_PROGRESS", due_unix_ms: now - 5 * H, overdue: true, escalation_level: 1,
    escalated_to: "370205001001" },
  { id: 5, status: "CASE_STATUS_IN_PROGRESS", due_unix_ms: now - 1 * H },
  { id: 6, status: "CASE_STATUS_RESOLVED", due_unix_ms: now - 50 * H, overdue: true },
  { id: 7, status: "CASE_STATUS_ASSIGNED", due_unix_ms: now - 90 * H, overdue: true, escalation_level: 2,
    escalated_to: "370205002" },
];

describe("the desk's queues", () => {
  const ids = (q, units = ["370205001001"]) => queueOf(q, cases, { units, now }).map(c => c.id);
  it("sort each case where it stands, the soonest due first", () => {
    expect(QUEUES).toEqual(["received", "accepted", "inProgress", "dueSoon", "overdue", "escalated", "returnVisit"]);
    expect(ids("received")).toEqual([1]);
    expect(ids("accepted")).toEqual([7, 3, 2]);
    expect(ids("inProgress")).toEqual([4, 5]);
    expect(ids("dueSoon")).toEqual([3, 1]);          // within 24 hours, not yet overdue
    expect(ids("overdue")).toEqual([7, 4, 5]);       // past due, flagged or not yet swept; resolved ones are not
    expect(ids("returnVisit")).toEqual([6]);
  });
  it("show what was escalated to the person's units", () => {
    expect(ids("escalated")).toEqual([4]);
    expect(ids("escalated", ["370205002"])).toEqual([7]);
    expect(ids("escalated", ["370205"])).toEqual([7, 4]);
    expect(ids("escalated", ["37020500100101"])).toEqual([]);  // a zone's cadre: the community was escalated to
    expect(escalatedTo({ escalation_level: 0, escalated_to: "370205001001" }, ["370205001001"])).toBe(false);
  });
  it("merge lists with each case once", () => {
    expect(merge([{ id: 1, v: 1 }, { id: 2 }], [{ id: 1, v: 2 }], undefined).map(c => [c.id, c.v]))
      .toEqual([[1, 2], [2, undefined]]);
  });
});

describe("a case's steps", () => {
  it("are those intake allows in its status", () => {
    expect(stepsFor({ status: "CASE_STATUS_RECEIVED" })).toEqual(["accept", "reject", "transfer"]);
    expect(stepsFor({ status: "CASE_STATUS_ASSIGNED" })).toEqual(["start", "assign", "resolve", "transfer", "reject"]);
    expect(stepsFor({ status: "CASE_STATUS_ASSIGNED" }, { providerRouting: true }))
      .toEqual(["start", "dispatch", "assign", "resolve", "transfer", "reject"]);
    expect(stepsFor({ status: "CASE_STATUS_IN_PROGRESS", dispatch: { state: "CASE_DISPATCH_STATE_OFFERED" } },
      { providerRouting: true })).toEqual(["resolve", "assign", "transfer", "reject"]);
    expect(stepsFor({ status: "CASE_STATUS_RESOLVED" })).toEqual(["close"]);
    expect(stepsFor({ status: "CASE_STATUS_CLOSED" })).toEqual([]);
  });
  it("leave a no-owner case to the level that assigns it by decision", () => {
    const noOwner = { status: "CASE_STATUS_ACCEPTED", no_owner: true, send_backs: 2,
      waiting_on: { kind: "ASSIGNEE_KIND_UNIT", code: "370205001", route: "decides the owner" } };
    expect(decidesOwner(noOwner, ["370205001"])).toBe(true);
    expect(decidesOwner(noOwner, ["370205"])).toBe(true);
    expect(decidesOwner(noOwner, ["370205001001"])).toBe(false);
    expect(decidesOwner({ ...noOwner, status: "CASE_STATUS_ASSIGNED" }, ["370205001"])).toBe(false);
    expect(decidesOwner({ ...noOwner, no_owner: false }, ["370205001"])).toBe(false);
    expect(stepsFor(noOwner, { decides: true })).toEqual(["assign", "transfer", "reject"]);
    expect(stepsFor(noOwner, { decides: false })).toEqual([]);
    // Assigned by decision, it is handled as any other.
    expect(stepsFor({ ...noOwner, status: "CASE_STATUS_ASSIGNED" })).toEqual(["start", "assign", "resolve", "transfer", "reject"]);
  });
  it("become their requests with the case's version", () => {
    const c = { id: 42, version: 3 };
    const ref = { id: 42, expected_version: 3 };
    expect(stepRequest("accept", c, { note: " ok " })).toEqual({ ref, note: "ok" });
    expect(stepRequest("resolve", c, { resolution: " 已上门 " })).toEqual({ ref, resolution: "已上门" });
    expect(stepRequest("close", c, { satisfaction: 5, note: "" })).toEqual({ ref, satisfaction: 5, note: "" });
    expect(stepRequest("transfer", c, { transferredTo: "供电公司", reason: "线路" }))
      .toEqual({ ref, transferred_to: "供电公司", reason: "线路" });
    expect(stepRequest("assign", c, { assigneeKind: "", assigneeCode: "" })).toEqual({ ref, note: "" });
    expect(stepRequest("assign", c, { assigneeKind: "ASSIGNEE_KIND_DEPARTMENT", assigneeCode: "civil-affairs" }))
      .toEqual({ ref, note: "", assignee: { kind: "ASSIGNEE_KIND_DEPARTMENT", code: "civil-affairs" } });
    expect(stepRequest("dispatch", c, { providerKind: "CASE_PROVIDER_KIND_BUSINESS", providerName: "社区食堂",
      providerId: "" })).toEqual({ ref, note: "", provider_kind: "CASE_PROVIDER_KIND_BUSINESS", provider_id: "",
      provider_name: "社区食堂" });
    expect(stepRequest("dispatch", c, {})).toEqual({ ref, note: "" });
    expect(() => stepRequest("fly", c, {})).toThrow();
  });
});

describe("history notes", () => {
  it("read in Chinese when intake wrote them, as written when a person did", async () => {
    const { historyNote } = await import("./cases.js");
    expect(historyNote("registered (website); routed to 委员1 (zone committee member)"))
      .toBe("登记（网站）；派给 委员1（网格社区委员）");
    expect(historyNote("received (one-key call)")).toBe("收到（一键通），待受理");
    expect(historyNote("accepted; routed to 民政局 (item department)")).toBe("受理登记；派给 民政局（事项主管部门）");
    expect(historyNote("accepted")).toBe("受理登记");
    expect(historyNote("accepted; routed to 委员1")).toBe("受理登记；派给 委员1");
    expect(historyNote("assigned to 王五 (assigned by hand)")).toBe("派给 王五（人工派单）");
    expect(historyNote("return visit: satisfaction 4")).toBe("回访：满意度 4");
    expect(historyNote("past due 2026-12-01 18:00; escalated to community 370205001001"))
      .toBe("已超期（时限 2026-12-01 18:00），上报社区 370205001001");
    expect(historyNote("still open 24 hours after escalation to the community; escalated to street 370205001 (due 2026-12-01 18:00)"))
      .toBe("上报社区 24 小时后仍未办结，上报街道 370205001（时限 2026-12-01 18:00）");
    expect(historyNote("past due 2026-12-01 18:00; escalated to community 370205001001, its head 刘建华 (S00004)"))
      .toBe("已超期（时限 2026-12-01 18:00），上报社区 370205001001，负责人 刘建华（S00004）");
    expect(historyNote("past due 2026-12-01 18:00; escalated to community 370205001001 (no head named: the unit holds it)"))
      .toBe("已超期（时限 2026-12-01 18:00），上报社区 370205001001（未指定负责人，由该单位承办）");
    expect(historyNote("still open 24 hours after escalation to the community; escalated to street 370205001, its head"
                       + " 王海燕 (S00002) (due 2026-12-01 18:00)"))
      .toBe("上报社区 24 小时后仍未办结，上报街道 370205001，负责人 王海燕（S00002）（时限 2026-12-01 18:00）");
    expect(historyNote("已上门调解")).toBe("已上门调解");
    expect(historyNote("催办：已超期，时限 2026-11-20 00:00 (reminder: overdue since 2026-11-20 00:00)"))
      .toBe("催办：已超期，时限 2026-11-20 00:00");
    expect(historyNote("催办：将于 2026-12-09 17:30 到期 (reminder: due 2026-12-09 17:30)")).toBe("催办：将于 2026-12-09 17:30 到期");
    expect(historyNote("提级督办：转办 3 次，返工 0 次，提交 370205001 (referred up: 3 handoffs, 0 reworks; due -)"))
      .toBe("提级督办：转办 3 次，返工 0 次，提交 370205001");
    expect(historyNote("return visit: satisfaction 4", "en")).toBe("return visit: satisfaction 4");
    expect(historyNote("催办：已超期，时限 2026-11-20 00:00 (reminder: overdue since 2026-11-20 00:00)", "en"))
      .toBe("reminder: overdue since 2026-11-20 00:00");
    expect(historyNote("提级督办：转办 3 次，返工 0 次，提交 370205001 (referred up: 3 handoffs, 0 reworks; due -)", "en"))
      .toBe("referred up: 3 handoffs, 0 reworks; due -");
    expect(historyNote("居民投诉 (又坏了)", "en")).toBe("居民投诉 (又坏了)");
  });
});

// An offer not answered in time is its own step (docs/circle.md's table):
// told as 服务方未答复 by its note, or, for the latest provider step, by the
// case's dispatch.timed_out; a refusal stays a refusal.
describe("a provider's time-out", () => {
  const declined = (seq, note) => ({ seq, action: "CASE_ACTION_PROVIDER_DECLINED", note });
  const history = [
    declined(3, "李四 declined: 不在本社区"),
    { seq: 4, action: "CASE_ACTION_DISPATCHED", note: "" },
    declined(5, "王五 did not answer in time"),
    { seq: 6, action: "CASE_ACTION_DISPATCHED", note: "" },
    declined(7, "returned to the desk after 3 refusals or time-outs; the last: 赵六"),
  ];
  it("is told by its note, or by the case's timed_out on the latest provider step", () => {
    expect(timedOutStep(history[2], history, {})).toBe(true);
    expect(timedOutStep(history[0], history, {})).toBe(false);
    expect(timedOutStep(history[4], history, { dispatch: { timed_out: false } })).toBe(false);
    expect(timedOutStep(history[4], history, { dispatch: { timed_out: true } })).toBe(true);
    // timed_out speaks of the latest provider step only, not an earlier refusal.
    expect(timedOutStep(history[0], history, { dispatch: { timed_out: true } })).toBe(false);
    expect(timedOutStep(history[1], history, { dispatch: { timed_out: true } })).toBe(false);
    expect(stepLabelKey(history[2], history, {})).toBe("cases.providerTimedOut");
    expect(stepLabelKey(history[0], history, {})).toBe("cases.actionNames.CASE_ACTION_PROVIDER_DECLINED");
    expect(stepLabelKey({ action: "CASE_ACTION_HANDOFF_SENT" })).toBe("cases.actionNames.CASE_ACTION_HANDOFF_SENT");
  });
  it("has its notes in Chinese", () => {
    expect(historyNote("王五 did not answer in time")).toBe("王五 未在时限内答复");
    expect(historyNote("the assignee did not answer in time")).toBe("服务方未在时限内答复");
    expect(historyNote("returned to the desk after 3 refusals or time-outs; the last: 王五 did not answer in time"))
      .toBe("拒单或未答复 3 次，退回受理台；最后一次：王五 未在时限内答复");
    expect(historyNote("returned to the desk after 1 refusals or time-outs")).toBe("拒单或未答复 1 次，退回受理台");
    expect(historyNote("王五 did not answer in time", "en")).toBe("王五 did not answer in time");
  });
});

// A case handed between intake instances (docs/operations.md): its notes
// in Chinese, and what the page says of Case.handoff on each side.
describe("a hand-off", () => {
  it("has its notes in Chinese", () => {
    expect(historyNote("handed to intake@civil-affairs: 低保申请属民政局办理")).toBe("移交 intake@civil-affairs：低保申请属民政局办理");
    expect(historyNote("received from intake, case 42 (SF2026120700000042)"))
      .toBe("由 intake 移交，原案件 SF2026120700000042（#42）");
    expect(historyNote("intake@civil-affairs received it as case 7 (MZ2026120700000007)"))
      .toBe("intake@civil-affairs 已接收，案件 MZ2026120700000007（#7）");
  });
  it("has its steps and sentences in both languages", () => {
    for (const locale of ["zh-CN", "en"]) {
      const m = workflow.messages[locale];
      for (const a of ["CASE_ACTION_HANDOFF_SENT", "CASE_ACTION_HANDOFF_RECEIVED", "CASE_ACTION_HANDOFF_LINKED"])
        expect(m.actionNames[a], `${locale} ${a}`).toMatch(/\S/);
      for (const k of ["title", "sending", "linked", "received", "reason"]) expect(m.handoff[k], `${locale} ${k}`).toMatch(/\S/);
      expect(m.providerTimedOut).toMatch(/\S/);
      expect(m.orders.reviewWaiting).toContain("{name}");
    }
    expect(workflow.messages["zh-CN"].providerTimedOut).toBe("服务方未答复");
  });
  it("names the other instance and case on each side", () => {
    expect(handoffOf({})).toBe(null);
    expect(handoffOf({ handoff: { state: "HANDOFF_STATE_UNSPECIFIED" } })).toBe(null);
    expect(handoffOf({ handoff: { state: "HANDOFF_STATE_SENDING", to_instance: "intake@civil-affairs", reason: "民政事项",
      sent_unix_ms: "1000" } })).toEqual({ key: "sending", instance: "intake@civil-affairs", caseId: "", registration: "",
      reason: "民政事项", sentAt: 1000, linkedAt: 0, ...NOT_BACK });
    expect(handoffOf({ handoff: { state: "HANDOFF_STATE_LINKED", to_instance: "intake@civil-affairs", to_case_id: "7",
      to_registration: "MZ7", from_instance: "", sent_unix_ms: "1000", linked_unix_ms: "2000" } }))
      .toEqual({ key: "linked", instance: "intake@civil-affairs", caseId: "7", registration: "MZ7", reason: "",
        sentAt: 1000, linkedAt: 2000, ...NOT_BACK });
    expect(handoffOf({ handoff: { state: "HANDOFF_STATE_RECEIVED", from_instance: "intake", from_case_id: "42",
      from_registration: "SF42", to_instance: "", reason: "民政事项", linked_unix_ms: "3000" } }))
      .toEqual({ key: "received", instance: "intake", caseId: "42", registration: "SF42", reason: "民政事项",
        sentAt: 0, linkedAt: 3000, ...NOT_BACK });
  });
  it("tells a refused or withdrawn hand-off, back at this desk, with the refusal", () => {
    const refused = { handoff: { state: "HANDOFF_STATE_REFUSED", to_instance: "intake@civil-affairs", reason: "民政事项",
      refusal: "FAILED_PRECONDITION: no household 370205001001011999", sent_unix_ms: "1000", refused_unix_ms: "1500",
      returned_unix_ms: "1600" }, status: "CASE_STATUS_ACCEPTED", unit_code: UNIT,
      handoff_target: "intake@civil-affairs" };
    expect(handoffOf(refused)).toMatchObject({ key: "refused", refusal: "FAILED_PRECONDITION: no household 370205001001011999",
      refusedAt: 1500, returnedAt: 1600 });
    expect(handoffStanding(refused)).toBe("refused");
    expect(handoffStanding({ handoff: { state: "HANDOFF_STATE_CANCELLED", cancel_reason: "误移交" } })).toBe("withdrawn");
    expect(handoffOf({ handoff: { state: "HANDOFF_STATE_CANCELLED", cancel_reason: "误移交" } }).cancelReason).toBe("误移交");
    expect(handoffStanding({ handoff: { state: "HANDOFF_STATE_SENDING" } })).toBe("sending");
    expect(handoffStanding({ handoff: { state: "HANDOFF_STATE_WITHDRAWING" } })).toBe("sending");
    expect(handoffStanding({ handoff: { state: "HANDOFF_STATE_LINKED" } })).toBe("handed");
    expect(handoffStanding({ handoff: { state: "HANDOFF_STATE_RECEIVED" } })).toBe("");
    expect(handoffStanding({})).toBe("");
    // Back here, it may be handed again.
    expect(mayHandOff(refused, CLERK)).toBe(true);
    for (const locale of ["zh-CN", "en"]) {
      const m = workflow.messages[locale];
      for (const k of ["refused", "withdrawing", "cancelled", "refusal", "returnedAt"])
        expect(m.handoff[k], `${locale} ${k}`).toMatch(/\S/);
      for (const k of ["sending", "handed", "refused", "withdrawn"]) expect(m.handoff.states[k], `${locale} ${k}`).toMatch(/\S/);
      expect(m.steps.handoff).toMatch(/\S/);
    }
    expect(workflow.messages["zh-CN"].handoff.states).toMatchObject({ sending: "移交中", handed: "已移交" });
  });
});

// Who sees 移交: intake's rule for acting on a case (intake_case_writable).
describe("who may hand a case off", () => {
  const open = { id: 9, status: "CASE_STATUS_ACCEPTED", unit_code: UNIT, handoff_target: "intake@civil-affairs" };
  it("is who writes where the case lies: a clerk of its community, a cadre of its zone", () => {
    expect(mayActOn(open, CLERK)).toBe(true);
    expect(mayHandOff(open, CLERK)).toBe(true);
    expect(mayActOn(open, { roles: ["zone_cadre"], unit: "370205001001", zones: [UNIT] })).toBe(true);
    expect(mayActOn(open, { roles: ["street_staff"], unit: "370205001" })).toBe(true);
  });
  it("is not a clerk of another community, a cadre of another zone, or a role that does not handle cases", () => {
    expect(mayActOn(open, { ...CLERK, unit: "370205002001" })).toBe(false);
    expect(mayActOn(open, { roles: ["zone_cadre"], unit: "370205001001", zones: ["37020500100102"] })).toBe(false);
    expect(mayActOn(open, { roles: ["leader"], unit: "370205" })).toBe(false);
    expect(mayActOn(open, { roles: ["employment_counsellor"], unit: "370205001001" })).toBe(false);
    expect(mayActOn(open, { roles: ["window_clerk"], unit: "" })).toBe(false);
  });
  it("is a department's staff on a case assigned to their department, not another's", () => {
    const theirs = { ...open, unit_code: "37020500200101",
      assignee: { kind: "ASSIGNEE_KIND_DEPARTMENT", code: "civil-affairs" } };
    const staff = { roles: ["department_staff"], unit: "370205", department: "civil-affairs" };
    expect(mayActOn(theirs, staff)).toBe(true);
    expect(mayActOn(theirs, { ...staff, department: "housing" })).toBe(false);
    expect(mayActOn(open, staff)).toBe(false);
  });
  it("is no one once the case is closed, with a provider, or handed and not back", () => {
    expect(mayHandOff({ ...open, status: "CASE_STATUS_CLOSED" }, CLERK)).toBe(false);
    expect(mayHandOff({ ...open, status: "CASE_STATUS_TRANSFERRED" }, CLERK)).toBe(false);
    expect(mayHandOff({ ...open, dispatch: { state: "CASE_DISPATCH_STATE_OFFERED" } }, CLERK)).toBe(false);
    expect(mayHandOff({ ...open, dispatch: { state: "CASE_DISPATCH_STATE_DECLINED" } }, CLERK)).toBe(true);
    expect(mayHandOff({ ...open, handoff: { state: "HANDOFF_STATE_SENDING" } }, CLERK)).toBe(false);
    expect(mayHandOff({ ...open, handoff: { state: "HANDOFF_STATE_RECEIVED", from_instance: "intake" } }, CLERK))
      .toBe(true);
  });
  it("is no one when intake's rule names no other intake for the case (this one handles it)", () => {
    expect(mayHandOff({ ...open, handoff_target: "" }, CLERK)).toBe(false);
  });
  it("withdraws a hand-off not yet taken (撤回), by who may act on the case", () => {
    const sending = { ...open, status: "CASE_STATUS_TRANSFERRED", handoff: { state: "HANDOFF_STATE_SENDING",
      to_instance: "intake@civil-affairs" } };
    expect(mayCancelHandOff(sending, CLERK)).toBe(true);
    expect(mayCancelHandOff(sending, { ...CLERK, unit: "370205002001" })).toBe(false);
    for (const state of ["HANDOFF_STATE_LINKED", "HANDOFF_STATE_WITHDRAWING", "HANDOFF_STATE_REFUSED"])
      expect(mayCancelHandOff({ ...sending, handoff: { state } }, CLERK), state).toBe(false);
    expect(mayCancelHandOff(open, CLERK)).toBe(false);
    expect(stepRequest("handoffCancel", { id: 9, version: 5 }, { reason: " 误移交 " }))
      .toEqual({ ref: { id: 9, expected_version: 5 }, reason: "误移交" });
    expect(STEP_ROUTES.handoffCancel).toBe("handoff/cancel");
  });
  it("hands to the instance the rule names, told; else to another intake the gateway reaches", () => {
    const reached = ["intake", "intake@civil-affairs"];
    expect(handoffTargets({ ...open, handoff_target: "intake@civil-affairs" }, { at: "intake", reached }))
      .toEqual({ byRule: true, instances: ["intake@civil-affairs"] });
    const noRule = { ...open, handoff_target: "" };
    expect(handoffTargets(noRule, { at: "intake", reached })).toEqual({ byRule: false, instances: ["intake@civil-affairs"] });
    expect(handoffTargets(noRule, { at: "intake@civil-affairs", reached })).toEqual({ byRule: false, instances: ["intake"] });
    expect(handoffTargets(noRule, { at: "intake", reached: ["intake"] })).toEqual({ byRule: false, instances: [] });
  });
  it("asks HandoffCase with the case's version, the instance and the reason", () => {
    expect(stepRequest("handoff", { id: 9, version: 4 }, { toInstance: " intake@civil-affairs ", reason: " 民政事项 " }))
      .toEqual({ ref: { id: 9, expected_version: 4 }, to_instance: "intake@civil-affairs", reason: "民政事项" });
  });
});
