// The volunteer coordinator's pure rules: review and contact requests, the
// open dispatches, hours per volunteer, the pending queue's order.
import { describe, expect, it } from "vitest";
import { acceptRequest, contactRequest, hoursByVolunteer, openDispatches, pendingQueue, proposalsByHousehold,
  providerFull, providerRating, reviewRequest, REVIEW_APPROVE,
  REVIEW_DECLINE } from "./logic.js";

describe("reviewRequest", () => {
  it("approves by ids without a note", () => {
    expect(reviewRequest(["H1", "H2"], REVIEW_APPROVE)).toEqual({ body: { ids: ["H1", "H2"], decision: REVIEW_APPROVE } });
  });
  it("refuses a rejection without a reason", () => {
    expect(reviewRequest(["H1"], REVIEW_DECLINE, "  ")).toEqual({ error: "note" });
  });
  it("rejects with the reason trimmed", () => {
    expect(reviewRequest(["H1"], REVIEW_DECLINE, " 时长与签到不符 ")).toEqual({
      body: { ids: ["H1"], decision: REVIEW_DECLINE, note: "时长与签到不符" },
    });
  });
  it("needs a record", () => {
    expect(reviewRequest([], REVIEW_APPROVE)).toEqual({ error: "ids" });
  });
});

describe("contactRequest", () => {
  it("keeps help given and a picked time", () => {
    expect(contactRequest("P1", { kind: "CONTACT_KIND_HELP", note: " 送米 ", help_given: "米和油 ", at: 1700000000000 }))
      .toEqual({ pairing_id: "P1", kind: "CONTACT_KIND_HELP", note: "送米", help_given: "米和油", at_unix_ms: 1700000000000 });
  });
  it("leaves the time to the service when none was picked", () => {
    expect(contactRequest("P1", { kind: "CONTACT_KIND_VISIT", note: "入户", help_given: "" }))
      .toEqual({ pairing_id: "P1", kind: "CONTACT_KIND_VISIT", note: "入户" });
  });
});

describe("openDispatches", () => {
  it("keeps offered and accepted ones, earliest first", () => {
    const list = [
      { id: "D3", status: "DISPATCH_STATUS_ACCEPTED", at_unix_ms: 3 },
      { id: "D1", status: "DISPATCH_STATUS_COMPLETED", at_unix_ms: 1 },
      { id: "D2", status: "DISPATCH_STATUS_OFFERED", at_unix_ms: 2 },
      { id: "D4", status: "DISPATCH_STATUS_CANCELLED", at_unix_ms: 0 },
    ];
    expect(openDispatches(list).map(d => d.id)).toEqual(["D2", "D3"]);
  });
});

describe("hours", () => {
  it("reads totals by volunteer", () => {
    expect(hoursByVolunteer({ totals: [{ key: "V1", hours: 2.5, records: 2 }], hours: 2.5 }))
      .toEqual({ V1: { hours: 2.5, records: 2 } });
    expect(hoursByVolunteer(null)).toEqual({});
  });
  it("queues pending records by service day", () => {
    const records = [
      { id: "H2", status: "SERVICE_RECORD_STATUS_PENDING", served_on: "2026-12-05" },
      { id: "H1", status: "SERVICE_RECORD_STATUS_APPROVED", served_on: "2026-12-01" },
      { id: "H3", status: "SERVICE_RECORD_STATUS_PENDING", served_on: "2026-12-01" },
    ];
    expect(pendingQueue(records).map(r => r.id)).toEqual(["H3", "H2"]);
  });
});

describe("the circle", () => {
  it("shows no rating before a return visit", () => {
    expect(providerRating({ rating: 0, ratings: 0 })).toBe(null);
    expect(providerRating({ rating: 4.5, ratings: 2 })).toEqual({ mean: 4.5, count: 2 });
  });
  it("is full at its capacity", () => {
    expect(providerFull({ load: 3, capacity: 3 })).toBe(true);
    expect(providerFull({ load: 1, capacity: 3 })).toBe(false);
    expect(providerFull({ capacity: 2 })).toBe(false);
  });
  it("groups proposals by household in the service's order", () => {
    const groups = proposalsByHousehold([
      { household_code: "A", member_resident_id: "R1", rank: 1, flags: ["HOUSEHOLD_FLAG_LOW_INCOME"] },
      { household_code: "A", member_resident_id: "R2", rank: 2 },
      { household_code: "B", member_resident_id: "R1", rank: 1 },
    ]);
    expect(groups.map(g => [g.household_code, g.proposals.map(p => p.member_resident_id)]))
      .toEqual([["A", ["R1", "R2"]], ["B", ["R1"]]]);
    expect(groups[0].flags).toEqual(["HOUSEHOLD_FLAG_LOW_INCOME"]);
    expect(proposalsByHousehold(undefined)).toEqual([]);
  });
  it("accepts through the pairing path", () => {
    expect(acceptRequest({ member_resident_id: "R1", household_code: "H", rank: 1, load: 2 }))
      .toEqual({ member_resident_id: "R1", household_code: "H" });
  });
});
