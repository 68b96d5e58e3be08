import { describe, expect, it } from "vitest";
import { followUpRequest, matchAddress, periodChoices, tidyHousehold, visitFigures, visitRequest, visitState } from "./logic.js";

const at = text => Date.parse(text);

describe("periodChoices", () => {
  it("gives the month, both half-years, this year and last in the district's time", () => {
    // 2026-07-01 01:00 in Qingdao is still 2026-06-30 in UTC.
    const [month, half, lastHalf, year, lastYear] = periodChoices(at("2026-06-30T17:00:00Z"));
    expect(month).toMatchObject({ key: "2026-07", from: at("2026-07-01T00:00:00+08:00"), to: at("2026-08-01T00:00:00+08:00") });
    expect(half).toMatchObject({ key: "2026-H2", from: at("2026-07-01T00:00:00+08:00"), to: at("2027-01-01T00:00:00+08:00") });
    expect(lastHalf).toMatchObject({ key: "2026-H1", from: at("2026-01-01T00:00:00+08:00"), to: at("2026-07-01T00:00:00+08:00") });
    expect(year).toMatchObject({ key: "2026", to: at("2027-01-01T00:00:00+08:00") });
    expect(lastYear).toMatchObject({ key: "2025", from: at("2025-01-01T00:00:00+08:00") });
  });
  it("takes last half-year from the year before in the first half and December's next month into January", () => {
    const choices = periodChoices(at("2026-12-10T00:00:00Z"));
    expect(choices[0].to).toBe(at("2027-01-01T00:00:00+08:00"));
    expect(periodChoices(at("2026-03-01T00:00:00Z"))[2].key).toBe("2025-H2");
  });
});

describe("visitRequest", () => {
  const form = { household_code: "370205 001001 011001", kind: "CONTACT_KIND_VISIT", note: " 独居老人 ", help_given: "", at: 0 };
  it("tidies the code and trims the texts", () => {
    expect(visitRequest("S00001", form).body).toEqual({ staff_id: "S00001", household_code: "370205001001011001",
      kind: "CONTACT_KIND_VISIT", note: "独居老人", help_given: "" });
  });
  it("names the first field volunteer would refuse", () => {
    expect(visitRequest("S1", { ...form, household_code: "3702" }).error).toBe("household_code");
    expect(visitRequest("S1", { ...form, kind: "" }).error).toBe("kind");
    expect(visitRequest("S1", { ...form, note: "  " }).error).toBe("note");
    expect(visitRequest("S1", { ...form, note: "访".repeat(501) }).error).toBe("note");
    expect(visitRequest("S1", { ...form, note: "访".repeat(500) }).body.note.length).toBe(500);
    expect(visitRequest("S1", { ...form, help_given: "米".repeat(201) }).error).toBe("help_given");
    expect(visitRequest("S1", { ...form, at: Date.now() + 3600e3 }).error).toBe("at_unix_ms");
  });
});

describe("followUpRequest and visitState", () => {
  const visit = { at_unix_ms: "1000", follow_ups: [] };
  it("refuses an empty note or a day before the visit", () => {
    expect(followUpRequest(visit, { note: " " }).error).toBe("note");
    expect(followUpRequest(visit, { note: "已办", at: 999 }).error).toBe("at_unix_ms");
    expect(followUpRequest(visit, { note: "已办", done: true, at: 2000 }).body).toEqual({ note: "已办", done: true,
      at_unix_ms: "2000" });
  });
  it("says where visits stand and counts them", () => {
    const visits = [{ household_code: "a", community_code: "c1", follow_ups: [] },
      { household_code: "a", community_code: "c1", follow_ups: [{}], done: true },
      { household_code: "b", community_code: "c2", follow_ups: [{}, {}], done: false }];
    expect(visits.map(visitState)).toEqual(["none", "done", "following"]);
    expect(visitFigures(visits)).toEqual({ visits: 3, households: 2, communities: 2, done: 1, following: 1, none: 1 });
  });
});

describe("addresses and codes", () => {
  it("matches every word and tidies codes", () => {
    const households = [{ address: "宁夏路 12号 3单元" }, { address: "宁夏路 14号" }];
    expect(matchAddress(households, "宁夏路 12号")).toEqual([households[0]]);
    expect(matchAddress(households, " ")).toEqual([]);
    expect(tidyHousehold(" 3702-05 ")).toBe("370205");
  });
});
