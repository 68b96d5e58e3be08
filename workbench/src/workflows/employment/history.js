// The person's status history (就业状态记录): each period's 说明 is the
// reason employment keeps with it, in English words for the events it
// writes itself ("registered", "placement 12", "placement 12 ended",
// "import <system>", "intake case <number>"); a counsellor's own reason is
// kept as typed. A Chinese reader reads those events' words in Chinese, by
// the period's event (the placement's number kept, so it can be found in
// the placements below); an English reader as employment wrote them.
const REASONS_ZH = [
  [/^registered$/, () => "首次登记"],
  [/^placement (\d+)$/, m => `就业记录 ${m[1]}`],
  [/^placement (\d+) ended$/, m => `就业记录 ${m[1]} 终止`],
  [/^import (.+)$/, m => `由 ${m[1]} 导入`],
  [/^intake case (.+)$/, m => `办件 ${m[1]}（一次登记）`],
];

// The event's own words when the period keeps no reason.
const EVENTS_ZH = {
  STATUS_EVENT_REGISTRATION: "首次登记", STATUS_EVENT_PLACEMENT: "就业登记", STATUS_EVENT_SEPARATION: "离职",
  STATUS_EVENT_CERTIFICATION: "就业困难人员认定", STATUS_EVENT_SUPPORT: "扶持创业", STATUS_EVENT_UPDATE: "信息更正",
  STATUS_EVENT_IMPORT: "外部系统导入",
};

export function periodReason(row, locale = "zh-CN") {
  const reason = String((row && row.reason) || "").trim();
  if (locale === "en") return reason;
  if (!reason) return EVENTS_ZH[row && row.event] || "";
  for (const [pattern, text] of REASONS_ZH) {
    const match = reason.match(pattern);
    if (match) return text(match);
  }
  return reason;
}
