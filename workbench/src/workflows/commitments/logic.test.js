import { describe, expect, it } from "vitest";
import { attendanceRequest, commitmentKey, deliveryRequest, jointMechanismOf, leaveRequest, memberRequest, percent,
  unitsFor, ATTENDED, PART_TIME } from "./logic.js";

describe("percent", () => {
  it("is one decimal of the share, none of nothing", () => {
    expect(percent(2, 3)).toBe(66.7);
    expect(percent(0, 0)).toBeNull();
  });
});

describe("deliveryRequest", () => {
  const form = { commitment: commitmentKey({ cobuilding_id: "B0042", commitment: 1 }), quantity: " 2500 ",
    delivered_on: "2026-06-01", evidence: " 转账凭证 ", note: "" };
  it("names the co-building and the commitment", () => {
    expect(deliveryRequest(form)).toEqual({ cobuildingId: "B0042", body: { cobuilding_id: "B0042", commitment: 1,
      quantity: 2500, delivered_on: "2026-06-01", evidence: "转账凭证" } });
  });
  it("asks for each field in turn", () => {
    expect(deliveryRequest({ ...form, commitment: "" })).toEqual({ error: "commitment" });
    expect(deliveryRequest({ ...form, quantity: "0" })).toEqual({ error: "quantity" });
    expect(deliveryRequest({ ...form, delivered_on: "" })).toEqual({ error: "delivered_on" });
    expect(deliveryRequest({ ...form, evidence: " " })).toEqual({ error: "evidence" });
  });
});

describe("attendanceRequest", () => {
  const seats = [{ staff_id: "S00001" }, { staff_id: "S00002" }];
  const form = { mechanism: "MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY", title: " 五方联席会 ", held_on: "2026-03-12",
    statuses: { S00001: ATTENDED, S00002: "MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE" }, notes: { S00002: " 出差 " } };
  it("names every seat with its status", () => {
    expect(attendanceRequest("370205001001", form, seats)).toEqual({ body: { unit_code: "370205001001",
      mechanism: "MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY", title: "五方联席会", held_on: "2026-03-12",
      attendees: [{ staff_id: "S00001", status: ATTENDED },
        { staff_id: "S00002", status: "MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE", note: "出差" }] } });
  });
  it("asks for a seat's status", () => {
    expect(attendanceRequest("c", { ...form, statuses: { S00001: ATTENDED } }, seats))
      .toEqual({ error: "attendees", staff: "S00002" });
    expect(attendanceRequest("c", form, [])).toEqual({ error: "attendees" });
    expect(attendanceRequest("c", { ...form, title: "" }, seats)).toEqual({ error: "title" });
  });
});

describe("the joint mechanisms' member units", () => {
  const seats = [{ staff_id: "S00042" }];
  const units = [{ id: "J000001", mechanism: "MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY" },
    { id: "J000002", mechanism: "MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY" }];
  const form = { mechanism: "MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY", title: " 五方联席会 ", held_on: "2026-06-01",
    statuses: { S00042: ATTENDED, J000001: ATTENDED, J000002: "MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE" },
    notes: { J000002: " 外出 " }, came: { J000001: " 钱小军 ", J000002: "不该带上" } };
  it("a street holds its joint meeting, a community its five-party meeting", () => {
    expect(jointMechanismOf("370205001")).toBe("MEETING_ATTENDANCE_MECHANISM_STREET_JOINT");
    expect(jointMechanismOf("370205001001")).toBe("MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY");
    expect(unitsFor(PART_TIME, units)).toEqual([]);
    expect(unitsFor("MEETING_ATTENDANCE_MECHANISM_STREET_JOINT", units)).toEqual([]);
    expect(unitsFor("MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY", units)).toHaveLength(2);
  });
  it("names every member unit, who came only for one that attended", () => {
    expect(attendanceRequest("370205001001", form, seats, units).body.member_units).toEqual([
      { member_id: "J000001", status: ATTENDED, representative: "钱小军" },
      { member_id: "J000002", status: "MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE", note: "外出" }]);
    expect(attendanceRequest("370205001001", { ...form, statuses: { S00042: ATTENDED } }, seats, units))
      .toEqual({ error: "member_units", member: "J000001" });
    expect(attendanceRequest("370205001", form, [], units).body.attendees).toEqual([]);
    expect(attendanceRequest("370205001", form, [], [])).toEqual({ error: "attendees" });
  });
  it("a new member joins the unit's mechanism; an edit names the member", () => {
    const member = { kind: "JOINT_MEMBER_KIND_PROPERTY_MANAGEMENT", name: " 海星物业 ", representative: " 张伟 ",
      representative_post: "", joined_on: "2026-01-10" };
    expect(memberRequest("370205001001", member).body).toEqual({ kind: member.kind, name: "海星物业",
      representative: "张伟", representative_post: "", joined_on: "2026-01-10", active: true,
      unit_code: "370205001001", mechanism: "MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY" });
    expect(memberRequest("370205001001", { ...member, id: "J000003" }).body.unit_code).toBeUndefined();
    expect(memberRequest("370205001001", { ...member, kind: "" })).toEqual({ error: "kind" });
    expect(memberRequest("370205001001", { ...member, representative: " " })).toEqual({ error: "representative" });
    expect(leaveRequest({ id: "J000003", ...member }, "2026-07-01")).toMatchObject({ id: "J000003", active: false,
      left_on: "2026-07-01" });
  });
});
