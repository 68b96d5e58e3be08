// The window clerk's rules: the catalogue's bilingual names read in the
// reader's language, time limits said as the item says them, an address
// search keeps every household whose address holds each word, the form
// becomes CaseSubmit's request, and "my cases" put the open ones first.
import { describe, expect, it } from "vitest";
import { bilingual } from "../../format.js";
import { isMasked, matchAddress, sortMine, submitRequest, tidyCode, timeLimitText } from "./clerk.js";

describe("the catalogue's words", () => {
  it("read in Chinese by default and in English on request", () => {
    expect(bilingual("高龄津贴申领 Old-age allowance (80 and over)", "zh-CN")).toBe("高龄津贴申领");
    expect(bilingual("高龄津贴申领 Old-age allowance (80 and over)", "en")).toBe("Old-age allowance (80 and over)");
    expect(bilingual("夫妻双方身份证 both spouses' ID cards", "zh-CN")).toBe("夫妻双方身份证");
    expect(bilingual("居民身份证 ID card", "en")).toBe("ID card");
    expect(bilingual("社区公共事务", "en")).toBe("社区公共事务");
    expect(bilingual("Repair", "zh-CN")).toBe("Repair");
    expect(bilingual("", "zh-CN")).toBe("");
  });
  it("say the time limit in working days or hours", () => {
    expect(timeLimitText({ time_limit: 15, time_limit_unit: "TIME_LIMIT_UNIT_WORKING_DAYS" }, "zh-CN")).toBe("15个工作日");
    expect(timeLimitText({ time_limit: 3, time_limit_unit: "TIME_LIMIT_UNIT_HOURS" }, "zh-CN")).toBe("3小时");
    expect(timeLimitText({ time_limit: 1, time_limit_unit: "TIME_LIMIT_UNIT_HOURS" }, "en")).toBe("1 hour");
    expect(timeLimitText({ time_limit: 5, time_limit_unit: "TIME_LIMIT_UNIT_WORKING_DAYS" }, "en")).toBe("5 working days");
    expect(timeLimitText(null, "zh-CN")).toBe("");
  });
});

describe("finding a household by its address", () => {
  const households = [
    { code: "370205001001011002", address: "1号楼102室" },
    { code: "370205001001011001", address: "1号楼101室" },
    { code: "370205001001011003", address: "2号楼101室" },
  ];
  it("keeps those whose address holds every word, in code order", () => {
    expect(matchAddress(households, "1号楼").map(h => h.code))
      .toEqual(["370205001001011001", "370205001001011002"]);
    expect(matchAddress(households, "101室").map(h => h.code))
      .toEqual(["370205001001011001", "370205001001011003"]);
    expect(matchAddress(households, "2号楼\u3000101").map(h => h.code)).toEqual(["370205001001011003"]);
    expect(matchAddress(households, "  ")).toEqual([]);
    expect(matchAddress(households, "3号楼")).toEqual([]);
  });
  it("tidies a typed code and tells a masked name", () => {
    expect(tidyCode(" 3702 0519 8001 01123x ")).toBe("37020519800101123X");
    expect(isMasked("张**")).toBe(true);
    expect(isMasked("张三")).toBe(false);
  });
});

describe("the registration form", () => {
  it("becomes CaseSubmit's request for a resident through their household", () => {
    expect(submitRequest({
      channel: "CASE_CHANNEL_WINDOW", itemCode: "elderly-allowance", householdCode: "370205001001011001",
      residentId: "R0000001", name: " 住户1-1 ", phone: "139-4100 0000", description: " 申领高龄津贴 ",
    })).toEqual({
      channel: "CASE_CHANNEL_WINDOW",
      item_code: "elderly-allowance",
      requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: "370205001001011001", resident_id: "R0000001",
        name: "住户1-1", phone: "13941000000" },
      description: "申领高龄津贴",
    });
    const without = submitRequest({ channel: "CASE_CHANNEL_HOTLINE", itemCode: "x", householdCode: "h" });
    expect(without.requester).toEqual({ kind: "REQUESTER_KIND_RESIDENT", household_code: "h", name: "", phone: "" });
  });
});

describe("my cases", () => {
  it("put the open ones first, the soonest due first, then the closed newest first", () => {
    const cases = [
      { id: 1, status: "CASE_STATUS_CLOSED", received_unix_ms: 100 },
      { id: 2, status: "CASE_STATUS_ASSIGNED", due_unix_ms: 5000 },
      { id: 3, status: "CASE_STATUS_CLOSED", received_unix_ms: 300 },
      { id: 4, status: "CASE_STATUS_RESOLVED", due_unix_ms: 1000 },
      { id: 5, status: "CASE_STATUS_IN_PROGRESS", due_unix_ms: 3000 },
    ];
    expect(sortMine(cases).map(c => c.id)).toEqual([4, 5, 2, 3, 1]);
  });
});

describe("intake's refusal of a phone", () => {
  it("reads in Chinese beside the field", async () => {
    const { violationText } = await import("../../format.js");
    const { setLocale } = await import("../../i18n/index.js");
    setLocale("zh-CN");
    expect(violationText("must be a mobile number (11 digits: 1, then 3-9, then 9 more) or a landline with its area"
      + " code (0532-88881234, an extension after a dash)")).toBe("不是有效的电话号码（手机11位，或区号加号码）");
  });
});
