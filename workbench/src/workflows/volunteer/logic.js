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
