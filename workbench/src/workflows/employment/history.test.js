import { describe, expect, it } from "vitest";
import { periodReason } from "./history.js";

describe("status history", () => {
  it("says employment's own reasons in Chinese, a counsellor's as typed", () => {
    expect(periodReason({ reason: "registered", event: "STATUS_EVENT_REGISTRATION" })).toBe("首次登记");
    expect(periodReason({ reason: "placement 2", event: "STATUS_EVENT_PLACEMENT" })).toBe("就业记录 2");
    expect(periodReason({ reason: "placement 2 ended", event: "STATUS_EVENT_SEPARATION" })).toBe("就业记录 2 终止");
    expect(periodReason({ reason: "import hr-2019", event: "STATUS_EVENT_IMPORT" })).toBe("由 hr-2019 导入");
    expect(periodReason({ reason: "intake case SF20261208-0000003", event: "STATUS_EVENT_REGISTRATION" }))
      .toBe("办件 SF20261208-0000003（一次登记）");
    expect(periodReason({ reason: "本人到社区说明已自主创业", event: "STATUS_EVENT_UPDATE" })).toBe("本人到社区说明已自主创业");
    expect(periodReason({ reason: "", event: "STATUS_EVENT_CERTIFICATION" })).toBe("就业困难人员认定");
    expect(periodReason({ reason: "placement 2 ended", event: "STATUS_EVENT_SEPARATION" }, "en")).toBe("placement 2 ended");
  });
});
