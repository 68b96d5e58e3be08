// The employment workflow's rules: requests as employment takes them, the
// map's points, distances, fit and wages as people read them, the figures'
// period and whose figures a person reads.
import { describe, expect, it } from "vitest";
import { addDays, ruleText, distanceText, figureScopes, fitPercent, followUpQuery, followUpVisit, halfYear, hiringScope,
  mapPoints, percentText, placement, recommendation, registration, seekerRows, seekersQuery, SEPARATION_REASONS,
  separation, separationsQuery, tenantAdmission, tenantLeave, vacanciesQuery, visitOutcomes, wageText } from "./employment.js";

describe("employment", () => {
  it("makes a registration of a job seeker from the form", () => {
    expect(registration({ residentId: " R0000042 ", status: "LABOR_STATUS_UNEMPLOYED",
      difficulties: ["DIFFICULTY_CATEGORY_LOW_INCOME"], desiredOccupations: ["4-03-02-01"], seekingWork: true }))
      .toEqual({ resident_id: "R0000042", status: "LABOR_STATUS_UNEMPLOYED",
        difficulties: ["DIFFICULTY_CATEGORY_LOW_INCOME"], seeking_work: true, desired_occupations: ["4-03-02-01"] });
    expect(registration({ residentId: "R1" })).toEqual({ resident_id: "R1", status: "LABOR_STATUS_UNEMPLOYED",
      difficulties: [], seeking_work: true, desired_occupations: [] });
  });

  it("places a person in a vacancy at its enterprise", () => {
    const vacancy = { id: 7, enterprise_credit_code: "91370205300007919X", full_time: true };
    expect(placement("R1", vacancy, { kind: "PLACEMENT_KIND_ENTERPRISE", source: "PLACEMENT_SOURCE_JOB_FAIR",
      startDate: "2026-12-07" })).toEqual({ resident_id: "R1", vacancy_id: 7,
      enterprise_credit_code: "91370205300007919X", kind: "PLACEMENT_KIND_ENTERPRISE",
      source: "PLACEMENT_SOURCE_JOB_FAIR", full_time: true, start_date: "2026-12-07" });
    expect(placement("R1", { ...vacancy, full_time: false }, { startDate: "2026-12-07" }).full_time).toBe(false);
  });

  it("puts home and one point a work zone on the map, leaving off zones without a place", () => {
    const locations = { Z1: { lon: 120.38, lat: 36.1 }, Z2: { lon: 120.4, lat: 36.12 } };
    const v = (id, zone) => ({ vacancy: { id, work_zone_code: zone }, distance_m: id * 100 });
    const points = mapPoints("Z1", [v(1, "Z2"), v(2, "Z2"), v(3, "Z1"), v(4, "Z9")], locations);
    expect(points.home).toEqual([120.38, 36.1]);
    expect(points.work.map(w => [w.zone, w.value, w.vacancies.map(x => x.id), w.distance])).toEqual([
      ["Z2", [120.4, 36.12], [1, 2], 100], ["Z1", [120.38, 36.1], [3], 300]]);
    expect(points.leftOff).toBe(1);
    expect(mapPoints("Z9", [], locations)).toEqual({ home: null, work: [], leftOff: 0 });
  });

  it("writes distances, fit and wages as people read them", () => {
    expect(distanceText(-1)).toBe("");
    expect(distanceText(800)).toBe("800 米");
    expect(distanceText(1234)).toBe("1.2 公里");
    expect(distanceText(1234, true)).toBe("1.2 km");
    expect(fitPercent(0.856)).toBe("86%");
    expect(fitPercent(undefined)).toBe("0%");
    expect(wageText({ wage_min: 4000, wage_max: 6000 })).toBe("4000-6000 元/月");
    expect(wageText({ wage_max: 5000 })).toBe("5000 元/月");
    expect(wageText({})).toBe("");
  });

  it("reads this half-year so far", () => {
    expect(halfYear("2026-12-07")).toEqual({ from: "2026-07-01", to: "2026-12-07" });
    expect(halfYear("2026-03-31")).toEqual({ from: "2026-01-01", to: "2026-03-31" });
  });

  it("gives a community's staff their community and street, the district's the district by street", () => {
    const district = { code: "370205", kind: "UNIT_KIND_DISTRICT" };
    const street = { code: "370205001", kind: "UNIT_KIND_STREET" };
    const community = { code: "370205001001", kind: "UNIT_KIND_COMMUNITY" };
    expect(figureScopes([district, street, community])).toEqual([
      { unit: community, groupBy: "STATISTICS_GROUPING_COMMUNITY" },
      { unit: street, groupBy: "STATISTICS_GROUPING_COMMUNITY" }]);
    expect(figureScopes([district, street])).toEqual([{ unit: street, groupBy: "STATISTICS_GROUPING_COMMUNITY" }]);
    expect(figureScopes([district])).toEqual([{ unit: district, groupBy: "STATISTICS_GROUPING_STREET" }]);
    expect(figureScopes([])).toEqual([]);
  });
});

describe("employment's difficulty rules", () => {
  it("sends the disabled person's certificate with the disabled category only", () => {
    const form = { residentId: "R1", difficulties: ["DIFFICULTY_CATEGORY_DISABLED"], disabilityCertificate: " 37020519800404123x42 " };
    expect(registration(form).disability_certificate).toBe("37020519800404123X42");
    expect(registration({ ...form, difficulties: [] }).disability_certificate).toBeUndefined();
  });

  it("says a category's refusal in Chinese", () => {
    expect(ruleText("difficulties[0]: 4050 is for women aged 40 or more and men aged 50 or more: she is 38 on 2020-12-03", "zh-CN"))
      .toBe("“4050”人员须女满40周岁、男满50周岁（2020-12-03 时 38 周岁）");
    expect(ruleText("household 370205002001011001 is not a zero-employment household: R0000006 lives there and is in work",
      "zh-CN")).toBe("该户不是零就业家庭：家庭成员 R0000006 已就业");
    expect(ruleText("the disabled category needs the disabled person's certificate: give disability_certificate", "en"))
      .toBe("the disabled category needs the disabled person's certificate: give disability_certificate");
    expect(ruleText("something else", "zh-CN")).toBe("something else");
  });
});

describe("employment follow-through", () => {
  it("counts days on the calendar", () => {
    expect(addDays("2026-12-07", 28)).toBe("2027-01-04");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
  });

  it("lists the visits due within four weeks, overdue ones included", () => {
    expect(followUpQuery("2026-12-07", "370205001001")).toEqual({ under: "370205001001", pending_only: true,
      due_by: "2027-01-04", page_size: 200 });
  });

  it("offers the outcomes a visit of its kind may have", () => {
    expect(visitOutcomes("FOLLOW_UP_KIND_PLACEMENT")).toEqual(["FOLLOW_UP_OUTCOME_STILL_EMPLOYED",
      "FOLLOW_UP_OUTCOME_LEFT_JOB", "FOLLOW_UP_OUTCOME_NEEDS_HELP", "FOLLOW_UP_OUTCOME_NOT_REACHED"]);
    expect(visitOutcomes("FOLLOW_UP_KIND_STARTUP").slice(0, 2)).toEqual(["FOLLOW_UP_OUTCOME_BUSINESS_OPERATING",
      "FOLLOW_UP_OUTCOME_BUSINESS_CLOSED"]);
  });

  it("makes a visit's record and the separations' query", () => {
    expect(followUpVisit({ outcome: "FOLLOW_UP_OUTCOME_STILL_EMPLOYED", visitedOn: "2026-12-07", note: " 在岗 " }))
      .toEqual({ outcome: "FOLLOW_UP_OUTCOME_STILL_EMPLOYED", visited_on: "2026-12-07", note: "在岗" });
    expect(separationsQuery("2026-12-07", "370205001")).toEqual({ under: "370205001", ended_from: "2026-09-08",
      ended_to: "2026-12-07", page_size: 200 });
  });

  it("reads the street's hiring figures, else the district's", () => {
    const district = { code: "370205", kind: "UNIT_KIND_DISTRICT" }, street = { code: "370205001", kind: "UNIT_KIND_STREET" };
    expect(hiringScope([district, street, { code: "370205001001", kind: "UNIT_KIND_COMMUNITY" }])).toBe(street);
    expect(hiringScope([district])).toBe(district);
    expect(percentText(0.25)).toBe("25.0%");
  });
});

describe("recording a separation and a base's tenants", () => {
  it("offers the reasons PlacementEnd accepts, not the unspecified one", () => {
    expect(SEPARATION_REASONS).toEqual(["SEPARATION_REASON_CONTRACT_ENDED", "SEPARATION_REASON_RESIGNED",
      "SEPARATION_REASON_DISMISSED", "SEPARATION_REASON_MUTUAL", "SEPARATION_REASON_ENTERPRISE_CLOSED",
      "SEPARATION_REASON_OTHER"]);
  });
  it("ends the placement at the version seen, the note trimmed", () => {
    expect(separation({ id: "12", version: "3" }, { endDate: "2026-12-07", reason: "SEPARATION_REASON_MUTUAL",
      note: "  协商一致 " })).toEqual({ end_date: "2026-12-07", reason: "SEPARATION_REASON_MUTUAL", note: "协商一致",
      expected_version: 3 });
    expect(separation({ id: "12" }, { endDate: "2026-12-07", reason: "SEPARATION_REASON_OTHER" }))
      .toEqual({ end_date: "2026-12-07", reason: "SEPARATION_REASON_OTHER", note: "" });
  });
  it("admits a business with the entrepreneur and credit code only when given", () => {
    expect(tenantAdmission("7", { businessName: " 红霞手工坊 ", enteredOn: "2026-12-01", creditCode: "",
      residentId: " " })).toEqual({ base_id: 7, business_name: "红霞手工坊", entered_on: "2026-12-01" });
    expect(tenantAdmission(7, { businessName: "福寿茶社", enteredOn: "2026-12-01",
      creditCode: "91370205mA3c00001x", residentId: "R42" })).toEqual({ base_id: 7, business_name: "福寿茶社",
      entered_on: "2026-12-01", business_credit_code: "91370205MA3C00001X", resident_id: "R42" });
  });
  it("moves a tenant out on a day with a reason, at the version seen", () => {
    expect(tenantLeave({ version: "2" }, { leftOn: "2026-12-07", reason: " 孵化期满迁出 " }))
      .toEqual({ left_on: "2026-12-07", reason: "孵化期满迁出", expected_version: 2 });
  });
});

describe("a vacancy's seekers", () => {
  const vacancy = { id: "41", enterprise_credit_code: "91370205MA3C4XYZ1K", full_time: true, title: "中餐厨师" };
  const matches = [
    { person: { resident_id: "R0000012", name: "钱桂芳", gender: "GENDER_FEMALE", birth_date: "1980-02-01",
      difficulties: ["DIFFICULTY_CATEGORY_AGED_4050"], home_zone_code: "37020500100101",
      desired_occupations: ["4-03-02-01"] }, fit: 0.8, distance_m: 900, within_circle: true },
    { person: { resident_id: "R0000013", name: "孙浩" }, fit: 1, within_circle: false },
  ];

  it("asks the service's circle unless a radius is given", () => {
    expect(seekersQuery()).toEqual({});
    expect(seekersQuery({ radiusKm: 2.5, limit: 20 })).toEqual({ radius_m: 2500, limit: 20 });
    expect(seekersQuery({ radiusKm: "", limit: 0 })).toEqual({});
  });

  it("keeps the service's order, numbered, the helped first marked", () => {
    const rows = seekerRows(matches);
    expect(rows.map(r => [r.rank, r.resident_id, r.helped_first])).toEqual([[1, "R0000012", true], [2, "R0000013", false]]);
    expect(rows[0]).toMatchObject({ name: "钱桂芳", gender: "GENDER_FEMALE", birth_date: "1980-02-01",
      difficulties: ["DIFFICULTY_CATEGORY_AGED_4050"], fit: 0.8, distance_m: 900, within_circle: true });
    expect(rows[1]).toMatchObject({ gender: "GENDER_UNSPECIFIED", distance_m: -1, difficulties: [], fit: 1 });
  });

  it("recommends as a placement in the vacancy through the service centre", () => {
    expect(recommendation(seekerRows(matches)[0], vacancy, { startDate: "2026-12-08" })).toEqual({
      resident_id: "R0000012", vacancy_id: 41, enterprise_credit_code: "91370205MA3C4XYZ1K",
      kind: "PLACEMENT_KIND_ENTERPRISE", source: "PLACEMENT_SOURCE_SERVICE_CENTRE", full_time: true,
      start_date: "2026-12-08" });
    expect(recommendation(seekerRows(matches)[1], vacancy, { startDate: "2026-12-09", fullTime: false,
      kind: "PLACEMENT_KIND_FLEXIBLE" })).toMatchObject({ kind: "PLACEMENT_KIND_FLEXIBLE", full_time: false });
  });

  it("lists the scope's open vacancies", () => {
    expect(vacanciesQuery({ code: "370205001" })).toEqual({ under: "370205001", open_only: true, page_size: 200 });
    expect(vacanciesQuery(null).under).toBe("");
  });
});
