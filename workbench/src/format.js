// How the workbench writes what people read: times in the district's time
// zone (Asia/Shanghai) whatever the browser's, counts and countdowns, and
// the services' refusals in the reader's language.
import { i18n } from "./i18n/index.js";

export const DISTRICT_TIME_ZONE = "Asia/Shanghai";

function locale() {
  return i18n.global.locale.value === "en" ? "en-GB" : "zh-CN";
}

// "2026-12-07 14:05" in the district, from unix milliseconds (0 = "").
export function dateTime(ms) {
  if (!ms) return "";
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: DISTRICT_TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(Number(ms)));
  const get = type => (parts.find(p => p.type === type) || {}).value || "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

// "2026-12-07", the district's day of ms (default now).
export function day(ms = Date.now()) {
  return dateTime(ms).slice(0, 10);
}

export function number(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(Number(value))) return "–";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value);
}

// The catalogue names items and materials "中文 English" in one text
// ("高龄津贴申领 Old-age allowance (80 and over)"): the Chinese part for a
// Chinese reader, the English part in English; a name in one language only
// reads as it is.
export function bilingual(text, locale) {
  const value = String(text || "").trim();
  const match = value.match(/^(.*?[^\x00-\x7f][^A-Za-z]*?)\s+([A-Za-z].*)$/);
  if (!match) return value;
  return locale === "en" ? match[2].trim() : match[1].trim();
}

// Time left until due: "还剩 2天3小时" / "超期 5小时"; "" without a due time.
export function countdown(dueMs, nowMs = Date.now()) {
  if (!dueMs) return "";
  let left = Number(dueMs) - nowMs;
  const overdue = left < 0;
  left = Math.abs(left);
  const days = Math.floor(left / 86400000);
  const hours = Math.floor((left % 86400000) / 3600000);
  const minutes = Math.floor((left % 3600000) / 60000);
  const en = i18n.global.locale.value === "en";
  const amount = days ? (en ? `${days}d ${hours}h` : `${days}天${hours}小时`)
    : hours ? (en ? `${hours}h ${minutes}m` : `${hours}小时${minutes}分`)
    : (en ? `${minutes}m` : `${minutes}分钟`);
  return overdue ? (en ? `overdue ${amount}` : `超期 ${amount}`) : (en ? `${amount} left` : `还剩 ${amount}`);
}

// Money the services count in fen, read in yuan: "12,345.00".
function yuanOfFen(fen) {
  return new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    .format(Number(fen) / 100);
}

// The services' field violations in Chinese where the wording is one of
// the suite's common ones; otherwise as the service said it.
const VIOLATIONS_ZH = [
  [/^is required$/, () => "必填"],
  [/^is required: /, () => "必填"],
  [/is at version \d+/, () => "已被他人修改，请刷新后重试"],
  [/^the (\d+) budget has (-?\d+) fen left$/, m => `余额不足：${m[1]}年度经费仅余 ${yuanOfFen(m[2])} 元`],
  [/^community \S+ has no budget for (\d+)$/, m => `该社区尚无${m[1]}年度经费预算`],
  [/^must be more than 0 and at most (\d+) fen$/, m => `应大于 0 元且不超过 ${yuanOfFen(m[1])} 元`],
  [/^must be from 0 to (\d+) fen$/, m => `应在 0 到 ${yuanOfFen(m[1])} 元之间`],
  [/^add up to (\d+) fen, not the budget's (\d+)$/,
   m => `各来源合计 ${yuanOfFen(m[1])} 元，与预算 ${yuanOfFen(m[2])} 元不符`],
  [/^is not a funding purpose$/, () => "不是有效的经费用途"],
  [/^is after today$/, () => "不能晚于今天"],
  [/^is more than a year ago$/, () => "不能早于一年前"],
  [/^is before the visit that found the problem$/, () => "不能早于发现该问题的走访时间"],
  [/^is before the work it follows$/, () => "不能早于所跟进工作的时间"],
  [/^is before the pairing of department \S+ with community \S+ began$/, () => "早于该部门与社区结对之日"],
  [/^department \S+ is not paired with community \S+$/, () => "该部门未与该社区结对"],
  [/^is before the pairing began$/, () => "早于结对共建开始之日"],
  [/^co-building \S+ had ended by then$/, () => "此时该结对共建已结束"],
  [/^co-building \S+ has (\d+) commitments$/, m => `该结对共建只有 ${m[1]} 项承诺`],
  [/^\S+ is already paired with community \S+/, () => "该单位已与该社区结对共建"],
  [/^must be a number above 0/, () => "应大于 0"],
  [/^must be a number from 0 up$/, () => "不能为负数"],
  [/^is given twice$/, () => "重复填写"],
  [/^holds no part-time committee seat under \S+$/, () => "在该单位没有兼职委员席位"],
  [/^meeting \d+'s attendance is /, () => "该会议的出席情况已记录"],
  [/^must lie between the day it joined and today$/, () => "应在加入之日与今天之间"],
  [/^must be the contact point or a unit under it$/, () => "应为该联系点或其下属单位"],
  [/^no community (\S+)$/, m => `没有编码为 ${m[1]} 的社区`],
  [/^must be a date written YYYY-MM-DD/, () => "应为日期（年-月-日）"],
  [/^required(:.*)?$/, () => "必填"],
  [/^must not be negative$/, () => "不能为负数"],
  [/^is in the future$/, () => "不能晚于今天"],
  [/^must be a date YYYY-MM-DD/, () => "应为日期（年-月-日）"],
  [/^must be a household code/, () => "应为户编码"],
  [/^must be a community code/, () => "应为社区编码"],
  [/^must be a zone code/, () => "应为网格编码"],
  [/^must be an org unit or household code/, () => "应为组织或户编码（数字）"],
  [/^must be (a|grid's) resident id/, () => "应为居民编号，如 R0000042"],
  [/^must be a staff id/, () => "应为工作人员编号，如 S00042"],
  [/^at most (\d+)/, m => `最多 ${m[1]} 个字`],
  [/^must be between (\d+) and (\d+)/, m => `应在 ${m[1]} 到 ${m[2]} 之间`],
  [/^is not a unified social credit code/, () => "不是有效的统一社会信用代码"],
  [/^is not the identity number's \((.+)\)$/,
   m => `与身份证号码不符（应为 ${{ male: "男", female: "女" }[m[1]] || m[1]}）`],
  [/^is not a valid identity number|identity number/, () => "不是有效的身份证号码"],
  [/phone|^must be a mobile number/, () => "不是有效的电话号码（手机11位，或区号加号码）"],
  [/^must not hold NUL|NUL/, () => "含有不允许的字符"],
  [/^must be valid UTF-8/, () => "含有无效字符"],
];

export function violationText(description) {
  if (i18n.global.locale.value === "en") return description;
  for (const [pattern, text] of VIOLATIONS_ZH) {
    const match = String(description).match(pattern);
    if (match) return text(match);
  }
  return description;
}

// One line for a refusal: the status in the reader's words, then what the
// service said when it says more (in English, as the service wrote it).
export function errorText(error) {
  const t = i18n.global.t;
  const status = error && error.status ? error.status : "UNKNOWN";
  const key = `status.${status}`;
  const head = i18n.global.te(key) ? t(key) : status;
  if (!error || !error.message || error.httpStatus === 0) return head;
  if (i18n.global.locale.value === "en") return `${head}: ${error.message}`;
  return head;
}
