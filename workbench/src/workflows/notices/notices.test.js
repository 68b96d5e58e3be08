import { describe, expect, it } from "vitest";
import { badgeText, followRequest, followSteps, inboxQuery, noticeLine } from "./notices.js";

describe("notices", () => {
  it("pages the inbox", () => {
    expect(inboxQuery()).toEqual({ unread_only: undefined, page_size: 20, page_token: undefined });
    expect(inboxQuery({ unreadOnly: true, token: "u42", size: 5 })).toEqual({ unread_only: true, page_size: 5, page_token: "u42" });
  });
  it("shows the unread count", () => {
    expect(badgeText(0)).toBe("");
    expect(badgeText("7")).toBe("7");
    expect(badgeText(120)).toBe("99+");
  });
  it("offers the ladder by role and state", () => {
    const open = { id: 1, version: 3, status: "CASE_STATUS_ASSIGNED", first_responder_id: "S1", overdue: false };
    expect(followSteps(open, { roles: ["community_staff"], staffId: "S2" })).toEqual([]);
    expect(followSteps(open, { roles: ["community_staff"], staffId: "S1" })).toEqual(["followUp"]);
    expect(followSteps({ ...open, overdue: true }, { roles: ["street_staff"] })).toEqual(["remind", "supervise"]);
    expect(followSteps({ ...open, overdue: true, supervision_level: 2 }, { roles: ["street_staff"] }))
      .toEqual(["remind", "supervise", "referUp"]);
    expect(followSteps({ ...open, handoff_count: 3 }, { roles: ["leader"] })).toEqual(["remind", "referUp"]);
    expect(followSteps({ ...open, supervision_level: 3, overdue: true }, { roles: ["street_staff"] }))
      .toEqual(["remind", "supervise"]);
    expect(followSteps({ ...open, status: "CASE_STATUS_CLOSED" }, { roles: ["street_staff"], staffId: "S1" }))
      .toEqual(["complain"]);
    expect(followSteps({ ...open, status: "CASE_STATUS_RESOLVED" }, { staffId: "S1" })).toEqual(["followUp", "complain"]);
  });
  it("builds the requests", () => {
    const c = { id: 9, version: 4 };
    expect(followRequest("supervise", c, "快")).toEqual({ path: "supervise",
      body: { ref: { id: 9, expected_version: 4 }, kind: "CASE_SUPERVISE_KIND_SUPERVISE", note: "快" } });
    expect(followRequest("followUp", c, "已电话").path).toBe("follow-up");
    expect(followRequest("complain", c, "又坏了").path).toBe("complain");
  });
  it("says a notice in the reader's words", () => {
    const words = { action: a => ({ CASE_ACTION_REOPENED: "回访不满意，重新办理", CASE_ACTION_OVERDUE: "超期，上报社区" }[a]),
      item: text => text.split(" ")[0], note: text => (text.startsWith("past due") ? "已超期" : text) };
    const reopened = { case_id: 3, registration_number: "SF20261208-0000003", action: "CASE_ACTION_REOPENED",
      text: "SF20261208-0000003 重新办理 reopened for rework：邻里纠纷调解 Neighbourhood dispute mediation — 居民不认可调解结果" };
    expect(noticeLine(reopened, words)).toBe("SF20261208-0000003 回访不满意，重新办理：邻里纠纷调解 — 居民不认可调解结果");
    const overdue = { case_id: 2, registration_number: "SF20261029-0000002", action: "CASE_ACTION_OVERDUE",
      text: "SF20261029-0000002 升级至您处 escalated to you：高龄津贴申领 Old-age allowance (80 and over) — past due 2026-11-20 00:00; escalated to community 370205001001" };
    expect(noticeLine(overdue, words)).toBe("SF20261029-0000002 超期，上报社区：高龄津贴申领 — 已超期");
    // A case not yet registered goes by its id; no note, no dash.
    expect(noticeLine({ case_id: 41, registration_number: "", action: "CASE_ACTION_REOPENED",
      text: "#41 重新办理 reopened for rework：邻里纠纷调解 Neighbourhood dispute mediation" }, words))
      .toBe("#41 回访不满意，重新办理：邻里纠纷调解");
    // The calendar's warning names no case: as intake wrote it.
    const calendar = { case_id: 0, registration_number: "", action: "CASE_ACTION_UNSPECIFIED",
      text: "缺少工作日历 no working-day calendar：2028 (the year begins in 20 days: sifang-intake-calendar FILE)" };
    expect(noticeLine(calendar, words)).toBe(calendar.text);
  });
});
