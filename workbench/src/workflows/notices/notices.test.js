import { describe, expect, it } from "vitest";
import { badgeText, followRequest, followSteps, inboxQuery } from "./notices.js";

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
});
