// The workbench's shared rules: times in the district's zone whatever the
// machine's, countdowns, refusals in Chinese first; a retried submit keeps
// its idempotency key until the service answers.
import { describe, expect, it, vi } from "vitest";
import { countdown, dateTime, day, violationText, errorText } from "./format.js";
import { setLocale } from "./i18n/index.js";
import { ApiError } from "./api.js";
import { useSubmit } from "./forms.js";

describe("times", () => {
  it("are the district's (UTC+8), not the machine's", () => {
    // 2026-12-07 16:30 UTC is 2026-12-08 00:30 in Asia/Shanghai.
    const ms = Date.UTC(2026, 11, 7, 16, 30);
    expect(dateTime(ms)).toBe("2026-12-08 00:30");
    expect(day(ms)).toBe("2026-12-08");
    expect(dateTime(0)).toBe("");
  });
  it("count down to a due time, and up past it", () => {
    setLocale("zh-CN");
    const now = Date.UTC(2026, 11, 7, 0, 0);
    expect(countdown(now + 26 * 3600000, now)).toBe("还剩 1天2小时");
    expect(countdown(now - 90 * 60000, now)).toBe("超期 1小时30分");
    setLocale("en");
    expect(countdown(now + 5 * 60000, now)).toBe("5m left");
    setLocale("zh-CN");
  });
});

describe("refusals", () => {
  it("read in Chinese by default, as the service said them in English", () => {
    setLocale("zh-CN");
    expect(violationText("is required")).toBe("必填");
    expect(violationText("at most 50")).toBe("最多 50 个字");
    expect(violationText("something new")).toBe("something new");
    // The district's daily records: money in yuan as the pages write it.
    expect(violationText("the 2026 budget has 459600 fen left")).toBe("余额不足：2026年度经费仅余 4,596.00 元");
    expect(violationText("community 370203001001 has no budget for 2027")).toBe("该社区尚无2027年度经费预算");
    expect(violationText("add up to 2700000 fen, not the budget's 2600000"))
      .toBe("各来源合计 27,000.00 元，与预算 26,000.00 元不符");
    expect(violationText("is before the visit that found the problem")).toBe("不能早于发现该问题的走访时间");
    expect(violationText("problem Q000012 is at version 3")).toBe("已被他人修改，请刷新后重试");
    expect(violationText("the budget is at version 4, not 3")).toBe("已被他人修改，请刷新后重试");
    expect(violationText("is required: where the budget comes from")).toBe("必填");
    expect(violationText("co-building C000003 had ended by then")).toBe("此时该结对共建已结束");
    const error = new ApiError(400, { error: { status: "INVALID_ARGUMENT", message: "bad", violations: [] } });
    expect(errorText(error)).toBe("填写有误");
    setLocale("en");
    expect(violationText("is required")).toBe("is required");
    expect(errorText(error)).toBe("Please correct the form: bad");
    setLocale("zh-CN");
  });
});

describe("submitting", () => {
  it("keeps the idempotency key while the outcome is unknown, and takes a new one after an answer", async () => {
    const { state, run, fieldError } = useSubmit();
    const seen = [];
    await run(async id => {
      seen.push(id);
      throw new ApiError(503, { error: { status: "UNAVAILABLE", message: "down", violations: [] } });
    });
    await run(async id => {
      seen.push(id);
      throw new ApiError(400, { error: { status: "INVALID_ARGUMENT", message: "x",
        violations: [{ field: "requester.phone", description: "is required" }] } });
    });
    expect(fieldError("requester")).toBe("必填");
    expect(state.violations["requester.phone"]).toBe("必填");
    const answer = await run(async id => {
      seen.push(id);
      return { ok: true };
    });
    expect(answer).toEqual({ ok: true });
    expect(seen[0]).toBe(seen[1]);      // the retry after a 503 is the same request
    expect(seen[2]).not.toBe(seen[1]);  // after a refusal, a new one
    expect(state.busy).toBe(false);
  });
  it("never runs two submits at once", async () => {
    const { run } = useSubmit();
    const send = vi.fn(() => new Promise(resolve => setTimeout(() => resolve(1), 10)));
    await Promise.all([run(send), run(send)]);
    expect(send).toHaveBeenCalledTimes(1);
  });
});
