import { describe, expect, it } from "vitest";
import { attendanceRequest, commitmentKey, deliveryRequest, percent, ATTENDED } from "./logic.js";

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
