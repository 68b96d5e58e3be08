// The window clerk's pure rules: how a time limit is said, which households an
// address search keeps, and how the registration form becomes CaseSubmit's
// request (the services check it again and name what is wrong).

// "15个工作日" / "3小时" (or English), from the item's time limit.
export function timeLimitText(item, locale) {
  if (!item || !item.time_limit) return "";
  const hours = item.time_limit_unit === "TIME_LIMIT_UNIT_HOURS";
  if (locale === "en") return `${item.time_limit} ${hours ? "hour" : "working day"}${item.time_limit === 1 ? "" : "s"}`;
  return `${item.time_limit}${hours ? "小时" : "个工作日"}`;
}

// Households whose address holds every word of the search (words split by
// spaces; case and full-width spaces ignored), in code order.
export function matchAddress(households, text) {
  const words = String(text || "").toLowerCase().split(/[\s\u3000]+/).filter(Boolean);
  if (!words.length) return [];
  return households
    .filter(h => {
      const address = String(h.address || "").toLowerCase();
      return words.every(w => address.includes(w));
    })
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

// A name the service masked ("张**") is not the requester's name: the
// clerk asks for it instead of copying the mask.
export function isMasked(text) {
  return /\*/.test(String(text || ""));
}

// What a search box holds: an ID number is 17 digits and a digit or X; a
// household code 18 digits. Both are 18 characters, so the clerk says which
// (the form's choice); this only tidies what was typed.
export function tidyCode(text) {
  return String(text || "").replace(/[\s\u3000]+/g, "").toUpperCase();
}

// The registration form as CaseSubmit's request: a resident through their
// household, with the channel, the item, the description and the phone the
// station calls back on.
export function submitRequest(form) {
  const requester = {
    kind: "REQUESTER_KIND_RESIDENT",
    household_code: form.householdCode || "",
    name: String(form.name || "").trim(),
    phone: String(form.phone || "").replace(/[\s-]+/g, ""),
  };
  if (form.residentId) requester.resident_id = form.residentId;
  const body = {
    channel: form.channel,
    item_code: form.itemCode,
    requester,
    description: String(form.description || "").trim(),
  };
  // The work-order rules: its type (咨询/求助/投诉/建议), and a question the
  // window answers on the spot (直接答复: closed at once).
  if (form.caseType) body.case_type = form.caseType;
  const answer = String(form.directAnswer || "").trim();
  if (answer) body.direct_answer = answer;
  return body;
}

// The case types a registration chooses from (help first: most cases).
export const CASE_TYPES = ["CASE_TYPE_HELP", "CASE_TYPE_CONSULTATION", "CASE_TYPE_COMPLAINT", "CASE_TYPE_SUGGESTION"];

// The clerk's own cases, open ones first (the soonest due first), then the
// closed ones newest first.
const OPEN = ["CASE_STATUS_RECEIVED", "CASE_STATUS_ACCEPTED", "CASE_STATUS_ASSIGNED", "CASE_STATUS_IN_PROGRESS",
  "CASE_STATUS_RESOLVED"];
export function isOpen(c) {
  return OPEN.includes(c.status);
}
export function sortMine(cases) {
  return [...cases].sort((a, b) => {
    const ao = isOpen(a), bo = isOpen(b);
    if (ao !== bo) return ao ? -1 : 1;
    if (ao) return Number(a.due_unix_ms || Infinity) - Number(b.due_unix_ms || Infinity);
    return Number(b.received_unix_ms || 0) - Number(a.received_unix_ms || 0);
  });
}
