// The meetings workflow's pure rules: the parties each kind asks for, who
// holds it, the MeetingRecord request, the list's query and units.
import { describe, expect, it } from "vitest";
import { attendeesFor, holderKind, listQuery, meetingRequest, MEETING_KINDS, peoplePresent, requiredParties,
  unitOptions } from "./meetings.js";

describe("meetings", () => {
  it("knows every kind intake records, and the parties each asks for", () => {
    expect(MEETING_KINDS).toHaveLength(6);
    expect(requiredParties("MEETING_KIND_COMMUNITY_TALKS")).toEqual(["MEETING_PARTY_RESIDENTS_COMMITTEE",
      "MEETING_PARTY_RESIDENTS"]);
    expect(requiredParties("MEETING_KIND_STREET_JOINT")).toEqual(["MEETING_PARTY_PARTY_ORGANISATION",
      "MEETING_PARTY_RESIDENT_UNIT"]);
    expect(holderKind("MEETING_KIND_STREET_JOINT")).toBe("UNIT_KIND_STREET");
    expect(holderKind("MEETING_KIND_PARTY_REP_STUDIO")).toBe("UNIT_KIND_COMMUNITY");
  });

  it("starts a kind's attendees with its parties, keeping those filled", () => {
    const filled = [{ party: "MEETING_PARTY_RESIDENTS", name: "居民代表", people: 12 },
      { party: "MEETING_PARTY_OWNERS_COMMITTEE", name: "", people: 0 }];
    expect(attendeesFor("MEETING_KIND_COMMUNITY_TALKS", filled)).toEqual([
      { party: "MEETING_PARTY_RESIDENTS", name: "居民代表", people: 12 },
      { party: "MEETING_PARTY_RESIDENTS_COMMITTEE", name: "", people: 0 }]);
  });

  it("makes MeetingRecord's request, trimmed, optional fields only when given", () => {
    const form = { kind: "MEETING_KIND_COMMUNITY_TALKS", unitCode: "370205001001", heldOn: "2026-12-01",
      title: " 加装电梯恳谈 ",
      attendees: [{ party: "MEETING_PARTY_RESIDENTS_COMMITTEE", name: " 居委会 ", people: "3" },
        { party: "MEETING_PARTY_RESIDENTS", name: "3号楼居民", people: 0 }],
      matters: [{ description: " 3号楼加装电梯 ", resolution: "征询全体住户意见", unitCode: "37020500100101" },
        { description: "楼道照明", resolution: "物业一周内修复", itemCode: "community-affairs" }] };
    expect(meetingRequest(form)).toEqual({ body: {
      kind: "MEETING_KIND_COMMUNITY_TALKS", community_code: "370205001001", held_on: "2026-12-01",
      title: "加装电梯恳谈",
      attendees: [{ party: "MEETING_PARTY_RESIDENTS_COMMITTEE", name: "居委会", people: 3 },
        { party: "MEETING_PARTY_RESIDENTS", name: "3号楼居民", people: 0 }],
      matters: [{ description: "3号楼加装电梯", resolution: "征询全体住户意见", unit_code: "37020500100101" },
        { description: "楼道照明", resolution: "物业一周内修复", item_code: "community-affairs" }],
    } });
  });

  it("finds a matter without its resolution, a party without a name, a meeting without matters", () => {
    expect(meetingRequest({ kind: "MEETING_KIND_FIVE_PARTY", attendees: [{ party: "MEETING_PARTY_RESIDENTS", name: " " }],
      matters: [{ description: "停车难", resolution: "" }] }).errors)
      .toEqual({ "matters[0].resolution": "required", "attendees[0].name": "required" });
    expect(meetingRequest({ attendees: [], matters: [] }).errors).toEqual({ matters: "required", attendees: "required" });
  });

  it("queries a unit's meetings of a kind, and lists the units once", () => {
    expect(listQuery({ unit: "370205001", kind: "MEETING_KIND_STREET_JOINT" }))
      .toEqual({ under: "370205001", kind: "MEETING_KIND_STREET_JOINT", page_size: 100 });
    expect(listQuery({ unit: "370205001001", kind: "", from: "2026-01-01" }))
      .toEqual({ under: "370205001001", held_from: "2026-01-01", page_size: 100 });
    const path = [{ code: "370205", kind: "UNIT_KIND_DISTRICT", name: "四方区" },
      { code: "370205001", kind: "UNIT_KIND_STREET", name: "海伦路街道" }];
    const children = [{ code: "370205001002", kind: "UNIT_KIND_COMMUNITY", name: "二社区" },
      { code: "370205001001", kind: "UNIT_KIND_COMMUNITY", name: "一社区" },
      { code: "37020500100101", kind: "UNIT_KIND_ZONE", name: "网格" }, path[1]];
    expect(unitOptions(path, children).map(u => u.code)).toEqual(["370205", "370205001", "370205001001", "370205001002"]);
    expect(peoplePresent({ attendees: [{ people: 3 }, {}, { people: 12 }] })).toBe(15);
  });
});
