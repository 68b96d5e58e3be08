import { describe, expect, it } from "vitest";
import { budgetRequest, fenToYuan, residentsShare, spendingRequest, yuanToFen } from "./logic.js";

describe("yuanToFen", () => {
  it("reads yuan as integer fen without floating point", () => {
    expect(yuanToFen("27000")).toBe(2700000);
    expect(yuanToFen("27,000.5")).toBe(2700050);
    expect(yuanToFen(" 0.07 ")).toBe(7);
    expect(yuanToFen("1234567.89")).toBe(123456789);
  });
  it("refuses what is not an amount", () => {
    for (const text of ["", "-5", "1.234", "abc", "1e5", "1.2.3"]) expect(yuanToFen(text)).toBeNull();
  });
});

describe("fenToYuan", () => {
  it("shows fen as yuan with two decimals", () => {
    expect(fenToYuan(2700000)).toBe("27,000.00");
    expect(fenToYuan("300050")).toBe("3,000.50");
    expect(fenToYuan(7)).toBe("0.07");
    expect(fenToYuan(-150)).toBe("-1.50");
  });
});

describe("residentsShare", () => {
  it("is the activities' and services' share of what was spent", () => {
    expect(residentsShare({ spent_fen: "3000", for_residents_fen: "1000" })).toBe(33.3);
    expect(residentsShare({ spent_fen: 0 })).toBeNull();
  });
});

describe("budgetRequest", () => {
  const form = { sources: { FUNDING_SOURCE_KIND_DISTRICT_FINANCE: "15,000", FUNDING_SOURCE_KIND_PARTY_FEES: "7000",
    FUNDING_SOURCE_KIND_STREET: "", FUNDING_SOURCE_KIND_OTHER: "5000.00" }, notes: {}, note: " 提高到2.7万元 " };
  it("sums the sources given into the budget", () => {
    expect(budgetRequest("370205001001", "2026", form, 3)).toEqual({ body: {
      community_code: "370205001001", year: 2026, budget_fen: 2700000, note: "提高到2.7万元", expected_version: 3,
      sources: [{ kind: "FUNDING_SOURCE_KIND_DISTRICT_FINANCE", amount_fen: 1500000 },
        { kind: "FUNDING_SOURCE_KIND_PARTY_FEES", amount_fen: 700000 },
        { kind: "FUNDING_SOURCE_KIND_OTHER", amount_fen: 500000 }] } });
  });
  it("names a source that is not an amount, or none given", () => {
    expect(budgetRequest("x", 2026, { sources: { FUNDING_SOURCE_KIND_STREET: "五千" } })).toEqual(
      { error: "FUNDING_SOURCE_KIND_STREET" });
    expect(budgetRequest("x", 2026, { sources: {} })).toEqual({ error: "sources" });
  });
});

describe("spendingRequest", () => {
  const form = { purpose: "FUNDING_PURPOSE_ACTIVITIES", amount: "800", spent_on: "2026-03-12", voucher: " 记-0312 ",
    description: " 重阳节敬老活动 " };
  it("makes the spending in fen", () => {
    expect(spendingRequest("370205001001", form)).toEqual({ body: { community_code: "370205001001",
      purpose: "FUNDING_PURPOSE_ACTIVITIES", amount_fen: 80000, spent_on: "2026-03-12", voucher: "记-0312",
      description: "重阳节敬老活动" } });
  });
  it("asks for each field in turn", () => {
    expect(spendingRequest("c", { ...form, purpose: "" })).toEqual({ error: "purpose" });
    expect(spendingRequest("c", { ...form, amount: "0" })).toEqual({ error: "amount_fen" });
    expect(spendingRequest("c", { ...form, spent_on: "" })).toEqual({ error: "spent_on" });
    expect(spendingRequest("c", { ...form, voucher: " " })).toEqual({ error: "voucher" });
    expect(spendingRequest("c", { ...form, description: "" })).toEqual({ error: "description" });
  });
});
