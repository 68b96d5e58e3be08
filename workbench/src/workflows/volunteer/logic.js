// The volunteer coordinator's rules that are not a view's: how a review of
// pending service hours becomes a request (a rejection must say why, so the
// volunteer can correct the record), how a contact becomes a request, which
// dispatches are still open, and how hours are read per volunteer.

export const REVIEW_APPROVE = "REVIEW_DECISION_APPROVE";
export const REVIEW_DECLINE = "REVIEW_DECISION_DECLINE";

// The ServiceRecordReview body for records by id; null with the reason's
// field when a rejection has no reason (the service would take one without
// a note, but a volunteer whose hours are refused is owed the reason).
export function reviewRequest(ids, decision, note = "") {
  const text = String(note || "").trim();
  if (!ids.length) return { error: "ids" };
  if (decision === REVIEW_DECLINE && !text) return { error: "note" };
  const body = { ids: [...ids], decision };
  if (text) body.note = text;
  return { body };
}

// The HelpContactRecord body from the contact form: a help contact must say
// what help was given (as the service requires); the time is now unless a
// time was picked.
export function contactRequest(pairingId, form) {
  const body = { pairing_id: pairingId, kind: form.kind, note: String(form.note || "").trim() };
  const help = String(form.help_given || "").trim();
  if (help) body.help_given = help;
  if (form.at) body.at_unix_ms = Number(form.at);
  return body;
}

// Dispatches not yet finished: offered (waiting for an answer) or accepted
// (under way); the earliest first.
const OPEN = ["DISPATCH_STATUS_OFFERED", "DISPATCH_STATUS_ACCEPTED"];
export function openDispatches(dispatches) {
  return dispatches
    .filter(d => OPEN.includes(d.status))
    .sort((a, b) => Number(a.at_unix_ms || 0) - Number(b.at_unix_ms || 0) || String(a.id).localeCompare(String(b.id)));
}

// Approved hours per volunteer id from HoursTotals grouped by volunteer.
export function hoursByVolunteer(reply) {
  const byId = {};
  for (const total of (reply && reply.totals) || []) byId[total.key] = { hours: total.hours || 0, records: total.records || 0 };
  return byId;
}

// Pending records, oldest service day first, so the longest-waiting
// volunteer is answered first.
export function pendingQueue(records) {
  return records
    .filter(r => r.status === "SERVICE_RECORD_STATUS_PENDING")
    .sort((a, b) => String(a.served_on).localeCompare(String(b.served_on)) || String(a.id).localeCompare(String(b.id)));
}

// --- the 15-minute life service circle ------------------------------------------

// A provider's rating as the directory shows it: the mean satisfaction of
// its return visits with their number, or null while no visit rated it.
export function providerRating(provider) {
  const count = Number(provider.ratings || 0);
  if (!count) return null;
  return { mean: Number(provider.rating || 0), count };
}

// Whether a provider takes no more offers now: its open dispatches have
// reached its capacity (the candidate search leaves it out then).
export function providerFull(provider) {
  return Number(provider.load || 0) >= Number(provider.capacity || 0);
}

// The proposals of PairingProposals grouped by household, in the order the
// service gave them (nearest first within each).
export function proposalsByHousehold(proposals) {
  const groups = [];
  const at = new Map();
  for (const p of proposals || []) {
    if (!at.has(p.household_code)) {
      at.set(p.household_code, groups.length);
      groups.push({ household_code: p.household_code, flags: p.flags || [], proposals: [] });
    }
    groups[at.get(p.household_code)].proposals.push(p);
  }
  return groups;
}

// The HelpPairingCreate body that accepts a proposal: the pairing path every
// pairing takes, with its member and household.
export function acceptRequest(proposal) {
  return { member_resident_id: proposal.member_resident_id, household_code: proposal.household_code };
}

// --- registering and editing a provider ------------------------------------------

export const PROVIDER_KINDS = ["PROVIDER_KIND_BUSINESS", "PROVIDER_KIND_SOCIAL_ORGANISATION"];
export const PROVIDER_CATEGORIES = ["PROVIDER_CATEGORY_MEALS", "PROVIDER_CATEGORY_ELDERLY_CARE",
  "PROVIDER_CATEGORY_HOUSEKEEPING", "PROVIDER_CATEGORY_REPAIR", "PROVIDER_CATEGORY_HEALTH_CARE"];

// "08:30" as minutes after midnight; "24:00" only as the end of a window.
// null when it is not a time of day.
export function minuteOf(text, { end = false } = {}) {
  const match = String(text || "").trim().match(/^(\d{1,2})[:：](\d{2})$/);
  if (!match) return null;
  const h = Number(match[1]), m = Number(match[2]);
  if (m > 59 || h > 24 || (h === 24 && (m !== 0 || !end))) return null;
  return h * 60 + m;
}

export function clockOf(minute) {
  const m = Number(minute || 0);
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

// The form's values of a provider (a new one: of the coordinator's
// community, by zones, open any time, taking 5 at once).
export function providerForm(provider, community = "") {
  const p = provider || {};
  return {
    name: p.name || "",
    kind: p.kind || "PROVIDER_KIND_BUSINESS",
    category: p.category || "PROVIDER_CATEGORY_MEALS",
    skills: [...(p.skills || [])],
    communityCode: p.community_code || community,
    areaMode: p.id && !(p.zone_codes || []).length ? "radius" : "zones",
    zoneCodes: [...(p.zone_codes || [])],
    lat: p.lat ?? null,
    lon: p.lon ?? null,
    radiusKm: p.radius_km || null,
    hours: (p.hours || []).map(w => ({ weekday: Number(w.weekday || 0), start: clockOf(w.start_minute),
      end: clockOf(w.end_minute) })),
    capacity: p.capacity || 5,
    contactName: p.contact_name || "",
    contactPhone: p.contact_phone || "",
    creditCode: p.credit_code || "",
    active: p.id ? p.active !== false : true,
  };
}

// The ServiceProvider from the form: { body } or { errors } by the
// service's field names for what the page can tell before asking (a time
// that is not one, a window ending before it starts); the service checks
// the rest (zones known, radius 0.1-50 km, the credit code, the phone).
// A provider serves zones or a radius, never both: the other is not sent.
export function providerRequest(form) {
  const errors = {};
  const hours = [];
  (form.hours || []).forEach((w, i) => {
    const start = minuteOf(w.start), end = minuteOf(w.end, { end: true });
    if (start === null) errors[`hours[${i}].start_minute`] = "time";
    if (end === null) errors[`hours[${i}].end_minute`] = "time";
    else if (start !== null && end <= start) errors[`hours[${i}].end_minute`] = "order";
    hours.push({ weekday: Number(w.weekday || 0), start_minute: start ?? 0, end_minute: end ?? 0 });
  });
  if (Object.keys(errors).length) return { errors };
  const body = {
    name: String(form.name || "").trim(),
    kind: form.kind,
    category: form.category,
    skills: [...(form.skills || [])],
    community_code: form.communityCode,
    hours,
    capacity: Number(form.capacity || 0),
    contact_name: String(form.contactName || "").trim(),
    contact_phone: String(form.contactPhone || "").trim(),
    credit_code: form.kind === "PROVIDER_KIND_BUSINESS" ? String(form.creditCode || "").trim().toUpperCase() : "",
    active: form.active !== false,
  };
  if (form.areaMode === "radius") {
    body.zone_codes = [];
    body.lat = Number(form.lat || 0);
    body.lon = Number(form.lon || 0);
    body.radius_km = Number(form.radiusKm || 0);
  } else {
    body.zone_codes = [...(form.zoneCodes || [])];
    body.lat = 0;
    body.lon = 0;
    body.radius_km = 0;
  }
  return { body };
}

// ProviderUpdate's request: the provider as the form has it, against the
// version the coordinator saw (someone else's change is refused, not
// overwritten).
export function providerUpdate(stored, body) {
  return { provider: { ...body, id: stored.id }, expected_version: Number(stored.version || 0) };
}

// Closing (or opening again) a provider: ProviderUpdate replaces every
// field, so the stored ones go back as they are with only active changed.
export function providerActivation(stored, active) {
  const { body } = providerRequest({ ...providerForm(stored), active });
  return providerUpdate(stored, body);
}

// The provider's refusals by volunteer (volunteer_providers.c) in Chinese;
// others as they came (the common ones are the workbench's already).
const PROVIDER_RULES_ZH = [
  [/has that name/, () => "本社区已有同名的服务商户与机构"],
  [/name at least one skill/, () => "请至少选择一项服务项目"],
  [/give zones or a radius, not both/, () => "服务范围按网格或按半径，二者选一"],
  [/give zones, or a radius of/, () => "请选择服务网格，或填写0.1至50公里的服务半径"],
  [/the radius's centre/, () => "请填写半径中心的纬度（-90至90）和经度（-180至180）"],
  [/must be a unified social credit code/, () => "不是有效的统一社会信用代码（18位）"],
  [/^must be between 1 and (\d+)/, m => `须在1到${m[1]}之间`],
  [/^at most (\d+) zones/, m => `最多${m[1]}个网格`],
  [/is listed twice/, () => "重复选择"],
];

export function providerRuleText(text, locale) {
  if (!text || locale === "en") return text;
  for (const [pattern, zh] of PROVIDER_RULES_ZH) {
    const match = String(text).match(pattern);
    if (match) return zh(match);
  }
  return text;
}
