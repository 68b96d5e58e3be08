// The clerk's part of one registration for all services: which items are
// registrations, the form filled from grid's resident (masked values left
// for the clerk), the form as CaseSubmit's registration with only its
// kind's fields, and the case page's reading of the answer.
import { describe, expect, it } from "vitest";
import { KIND, emptyRegistration, fromIdNumber, fromResident, registrationKind, registrationOutcome,
  registrationRequest } from "./registration.js";

describe("registration items", () => {
  it("are the items whose kind says so", () => {
    expect(registrationKind({ registration: KIND.EMPLOYMENT })).toBe(KIND.EMPLOYMENT);
    expect(registrationKind({ registration: "CASE_REGISTRATION_KIND_UNSPECIFIED" })).toBe("");
    expect(registrationKind({})).toBe("");
    expect(registrationKind(null)).toBe("");
  });
});

describe("the form", () => {
  it("takes grid's resident, not what grid masked", () => {
    const form = fromResident(emptyRegistration(), { name: "王建国", birth_date: "1972-05-04", gender: "GENDER_MALE",
      phone: "139****0001" });
    expect(form).toMatchObject({ name: "王建国", birthDate: "1972-05-04", gender: "GENDER_MALE", phone: "" });
    expect(fromResident(emptyRegistration(), { name: "王**", gender: "GENDER_UNSPECIFIED" }))
      .toMatchObject({ name: "", gender: "" });
  });
  it("takes the birth date and sex from the ID number typed", () => {
    expect(fromIdNumber("37020519720504101X")).toEqual({ birthDate: "1972-05-04", gender: "GENDER_MALE" });
    expect(fromIdNumber(" 370205198003021028 ")).toEqual({ birthDate: "1980-03-02", gender: "GENDER_FEMALE" });
    expect(fromIdNumber("3702051972050410")).toBeNull();
  });
  it("becomes the registration with its kind's fields only", () => {
    const form = { ...emptyRegistration(), idNumber: " 37020519720504101x ", name: " 王建国 ", birthDate: "1972-05-04",
      gender: "GENDER_MALE", phone: "139 0532 0001", laborStatus: "LABOR_STATUS_UNEMPLOYED",
      difficulties: ["DIFFICULTY_CATEGORY_AGED_4050"], partyOrganisation: "港务党委" };
    expect(registrationRequest(KIND.EMPLOYMENT, form, "R0000001", "370205001001011001")).toEqual({
      resident_id: "R0000001", id_number: "37020519720504101X", name: "王建国", birth_date: "1972-05-04",
      gender: "GENDER_MALE", phone: "13905320001", household_code: "370205001001011001",
      labor_status: "LABOR_STATUS_UNEMPLOYED", seeking_work: true,
    });
    expect(registrationRequest(KIND.DIFFICULTY, form, "R1", "h").difficulties).toEqual(["DIFFICULTY_CATEGORY_AGED_4050"]);
    const member = registrationRequest(KIND.PARTY_MEMBER, form, "R1", "h");
    expect(member.party_organisation).toBe("港务党委");
    expect(member.labor_status).toBeUndefined();
    expect(member.difficulties).toBeUndefined();
  });
  it("keeps long text whole for the service to refuse", () => {
    const name = "王".repeat(60);
    expect(registrationRequest(KIND.EMPLOYMENT, { ...emptyRegistration(), name }, "R1", "h").name).toBe(name);
  });
});

describe("the answer on the case", () => {
  it("links a person in employment to its page", () => {
    expect(registrationOutcome({ kind: KIND.EMPLOYMENT, state: "CASE_REGISTRATION_STATE_LINKED", service: "employment",
      linked_id: "R0000001", created: true, answered_unix_ms: "1780000000000" })).toMatchObject({
      to: "/employment/persons/R0000001", linkedId: "R0000001", created: true, answered: 1780000000000 });
  });
  it("links a volunteer through the resident", () => {
    expect(registrationOutcome({ kind: KIND.PARTY_MEMBER, state: "CASE_REGISTRATION_STATE_LINKED", service: "volunteer",
      linked_id: "V000002", resident_id: "R0000003" }).to).toBe("/grid/residents/R0000003");
  });
  it("gives the refusal and no link", () => {
    expect(registrationOutcome({ kind: KIND.EMPLOYMENT, state: "CASE_REGISTRATION_STATE_REFUSED", service: "employment",
      refusal: "resident_id: is not of working age" })).toMatchObject({ to: "", refusal: "resident_id: is not of working age" });
  });
  it("is nothing for a case that is no registration", () => {
    expect(registrationOutcome(null)).toBeNull();
    expect(registrationOutcome({ kind: "CASE_REGISTRATION_KIND_UNSPECIFIED" })).toBeNull();
  });
});

describe("the answer in the case's history", () => {
  it("reads in Chinese", async () => {
    const { historyNote } = await import("../cases/cases.js");
    expect(historyNote("employment registered person R0000017")).toBe("就业服务已登记人员 R0000017");
    expect(historyNote("employment updated person R0000001")).toBe("就业服务已更新人员 R0000001");
    expect(historyNote("volunteer registered volunteer V000002")).toBe("志愿服务已登记志愿者 V000002");
    expect(historyNote("employment refused the registration: resident_id: is not of working age"))
      .toBe("就业服务退回登记：resident_id: is not of working age");
    expect(historyNote("employment registered person R0000017", "en")).toBe("employment registered person R0000017");
  });
});
