// The volunteer coordinator's pure rules: review and contact requests, the
// open dispatches, hours per volunteer, the pending queue's order.
import { describe, expect, it } from "vitest";
import { acceptRequest, clockOf, contactRequest, hoursByVolunteer, minuteOf, openDispatches, pendingQueue,
  proposalsByHousehold, providerActivation, providerRuleText, providerForm, providerFull, providerRating, providerRequest, providerUpdate,
  reviewRequest, REVIEW_APPROVE,
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

describe("provider requests", () => {
  const stored = {
    id: "S000007", name: "幸福长者食堂", kind: "PROVIDER_KIND_BUSINESS", category: "PROVIDER_CATEGORY_MEALS",
    skills: ["meals"], community_code: "370205001001", zone_codes: ["37020500100101"],
    hours: [{ weekday: 0, start_minute: 600, end_minute: 810 }, { weekday: 6, start_minute: 0, end_minute: 1440 }],
    capacity: 2, contact_name: "赵经理", contact_phone: "0532-88881234", credit_code: "91370205MA3C4XYZ1K",
    active: true, rating: 4.5, ratings: 2, load: 1, version: "3", updated_unix_ms: "1700000000000",
  };

  it("reads times of day, 24:00 only as an end", () => {
    expect(minuteOf("08:30")).toBe(510);
    expect(minuteOf("8：05")).toBe(485);
    expect(minuteOf("24:00")).toBeNull();
    expect(minuteOf("24:00", { end: true })).toBe(1440);
    expect(minuteOf("12:60")).toBeNull();
    expect(minuteOf("noon")).toBeNull();
    expect(clockOf(1440)).toBe("24:00");
  });

  it("registers a business by zones with its hours", () => {
    const form = providerForm(null, "370205001001");
    Object.assign(form, { name: " 幸福长者食堂 ", skills: ["meals"], zoneCodes: ["37020500100101"], capacity: 2,
      hours: [{ weekday: 0, start: "10:00", end: "13:30" }], contactName: "赵经理 ", contactPhone: "0532-88881234",
      creditCode: "91370205ma3c4xyz1k" });
    expect(providerRequest(form)).toEqual({ body: {
      name: "幸福长者食堂", kind: "PROVIDER_KIND_BUSINESS", category: "PROVIDER_CATEGORY_MEALS", skills: ["meals"],
      community_code: "370205001001", zone_codes: ["37020500100101"], lat: 0, lon: 0, radius_km: 0,
      hours: [{ weekday: 0, start_minute: 600, end_minute: 810 }], capacity: 2, contact_name: "赵经理",
      contact_phone: "0532-88881234", credit_code: "91370205MA3C4XYZ1K", active: true,
    } });
  });

  it("sends a radius without zones, and no credit code for a social organisation", () => {
    const form = providerForm(null, "370205001001");
    Object.assign(form, { name: "社工站", kind: "PROVIDER_KIND_SOCIAL_ORGANISATION", skills: ["escort"],
      areaMode: "radius", zoneCodes: ["37020500100101"], lat: "36.1", lon: "120.4", radiusKm: 1.5,
      creditCode: "91370205MA3C4XYZ1K" });
    const { body } = providerRequest(form);
    expect(body.zone_codes).toEqual([]);
    expect([body.lat, body.lon, body.radius_km, body.credit_code, body.hours]).toEqual([36.1, 120.4, 1.5, "", []]);
  });

  it("finds a window that is not one before asking", () => {
    const form = providerForm(stored);
    form.hours = [{ weekday: 1, start: "9点", end: "18:00" }, { weekday: 2, start: "18:00", end: "09:00" }];
    expect(providerRequest(form)).toEqual({ errors: { "hours[0].start_minute": "time", "hours[1].end_minute": "order" } });
  });

  it("edits against the version read, the form round-tripping every field", () => {
    const form = providerForm(stored);
    expect(form.areaMode).toBe("zones");
    expect(form.hours).toEqual([{ weekday: 0, start: "10:00", end: "13:30" }, { weekday: 6, start: "00:00", end: "24:00" }]);
    form.capacity = 4;
    const request = providerUpdate(stored, providerRequest(form).body);
    expect(request.expected_version).toBe(3);
    expect(request.provider).toMatchObject({ id: "S000007", name: stored.name, kind: stored.kind,
      category: stored.category, skills: stored.skills, community_code: stored.community_code,
      zone_codes: stored.zone_codes, hours: stored.hours, capacity: 4, contact_name: stored.contact_name,
      contact_phone: stored.contact_phone, credit_code: stored.credit_code, active: true });
    expect(request.provider).not.toHaveProperty("rating");
    expect(request.provider).not.toHaveProperty("load");
  });

  it("closes a provider with everything else as stored", () => {
    const radius = { ...stored, zone_codes: [], lat: 36.1, lon: 120.4, radius_km: 2 };
    expect(providerForm(radius).areaMode).toBe("radius");
    const request = providerActivation(radius, false);
    expect(request.provider).toMatchObject({ id: "S000007", active: false, zone_codes: [], lat: 36.1, lon: 120.4,
      radius_km: 2, hours: stored.hours, capacity: 2 });
    expect(providerActivation({ ...radius, active: false }, true).provider.active).toBe(true);
  });
});

describe("providerRuleText", () => {
  it("says the provider's refusals in Chinese, English as it came", () => {
    expect(providerRuleText("provider S000001 of community 370205001001 has that name", "zh-CN"))
      .toBe("本社区已有同名的服务商户与机构");
    expect(providerRuleText("give zones, or a radius of 0.1 to 50 km around lat/lon", "zh-CN"))
      .toBe("请选择服务网格，或填写0.1至50公里的服务半径");
    expect(providerRuleText("must be between 1 and 1000", "zh-CN")).toBe("须在1到1000之间");
    expect(providerRuleText("provider S1 of community 1 has that name", "en")).toBe("provider S1 of community 1 has that name");
    expect(providerRuleText("something else", "zh-CN")).toBe("something else");
  });
});
