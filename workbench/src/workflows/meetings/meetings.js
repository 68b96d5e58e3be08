// The meetings workflow's rules that are not a view's: the kinds intake
// knows and the parties each asks for (as intake checks them), whose unit
// holds a meeting of a kind (the street's joint meeting is the street's,
// the others a community's), the request a recorded meeting becomes, and
// the list's query.

export const MEETING_KINDS = ["MEETING_KIND_RESIDENT_COUNCIL", "MEETING_KIND_PARTY_DISCUSSION_DAY",
  "MEETING_KIND_FIVE_PARTY", "MEETING_KIND_COMMUNITY_TALKS", "MEETING_KIND_PARTY_REP_STUDIO",
  "MEETING_KIND_STREET_JOINT"];

export const MEETING_PARTIES = ["MEETING_PARTY_PARTY_ORGANISATION", "MEETING_PARTY_RESIDENTS_COMMITTEE",
  "MEETING_PARTY_OWNERS_COMMITTEE", "MEETING_PARTY_PROPERTY_COMPANY", "MEETING_PARTY_RESIDENT_UNIT",
  "MEETING_PARTY_RESIDENTS", "MEETING_PARTY_PARTY_MEMBERS"];

// The parties a meeting of the kind must have present (intake_meetings.c):
// the form starts with them. A five-party meeting needs the party
// organisation and two of the other four; the first two are offered.
const REQUIRED = {
  MEETING_KIND_RESIDENT_COUNCIL: ["MEETING_PARTY_RESIDENTS"],
  MEETING_KIND_PARTY_DISCUSSION_DAY: ["MEETING_PARTY_PARTY_MEMBERS"],
  MEETING_KIND_FIVE_PARTY: ["MEETING_PARTY_PARTY_ORGANISATION", "MEETING_PARTY_RESIDENTS_COMMITTEE",
    "MEETING_PARTY_OWNERS_COMMITTEE", "MEETING_PARTY_PROPERTY_COMPANY"],
  MEETING_KIND_COMMUNITY_TALKS: ["MEETING_PARTY_RESIDENTS_COMMITTEE", "MEETING_PARTY_RESIDENTS"],
  MEETING_KIND_PARTY_REP_STUDIO: ["MEETING_PARTY_PARTY_MEMBERS"],
  MEETING_KIND_STREET_JOINT: ["MEETING_PARTY_PARTY_ORGANISATION", "MEETING_PARTY_RESIDENT_UNIT"],
};

export function requiredParties(kind) {
  return [...(REQUIRED[kind] || [])];
}

// The street holds its joint meeting (街道党建联席会议); a community the others.
export function holderKind(kind) {
  return kind === "MEETING_KIND_STREET_JOINT" ? "UNIT_KIND_STREET" : "UNIT_KIND_COMMUNITY";
}

// The attendees a kind starts with: its required parties, names to fill;
// rows already filled for a party are kept.
export function attendeesFor(kind, current = []) {
  const rows = current.filter(a => String(a.name || "").trim());
  for (const party of requiredParties(kind))
    if (!rows.some(a => a.party === party)) rows.push({ party, name: "", people: 0 });
  return rows;
}

// MeetingRecord's request from the form: { body }, or { errors } by the
// service's field names for what the page can tell before asking (a
// meeting without a matter, a matter without its resolution).
export function meetingRequest(form) {
  const errors = {};
  const attendees = (form.attendees || []).map(a => ({ party: a.party, name: String(a.name || "").trim(),
    people: Number(a.people || 0) }));
  const matters = (form.matters || []).map(m => {
    const matter = { description: String(m.description || "").trim(), resolution: String(m.resolution || "").trim() };
    if (m.unitCode) matter.unit_code = m.unitCode;
    if (m.itemCode) matter.item_code = m.itemCode;
    return matter;
  });
  if (!matters.length) errors.matters = "required";
  matters.forEach((m, i) => {
    if (!m.description) errors[`matters[${i}].description`] = "required";
    if (!m.resolution) errors[`matters[${i}].resolution`] = "required";
  });
  attendees.forEach((a, i) => {
    if (!a.name) errors[`attendees[${i}].name`] = "required";
  });
  if (!attendees.length) errors.attendees = "required";
  if (Object.keys(errors).length) return { errors };
  return { body: { kind: form.kind, community_code: form.unitCode, held_on: form.heldOn,
    title: String(form.title || "").trim(), attendees, matters } };
}

// MeetingList's query: the unit's subtree, a kind, newest first.
export function listQuery(filter) {
  const query = { under: filter.unit || "", page_size: 100 };
  if (filter.kind) query.kind = filter.kind;
  if (filter.from) query.held_from = filter.from;
  if (filter.to) query.held_to = filter.to;
  return query;
}

// The units a person's meetings are filtered by and held in: the path down
// to their unit (district first) and the units right below it, a street's
// communities; each once, in code order.
export function unitOptions(path, children = []) {
  const seen = new Map();
  for (const u of [...(path || []), ...(children || [])])
    if (u && u.code && (u.kind === "UNIT_KIND_DISTRICT" || u.kind === "UNIT_KIND_STREET" || u.kind === "UNIT_KIND_COMMUNITY"))
      seen.set(u.code, { code: u.code, name: u.name || u.code, kind: u.kind });
  return [...seen.values()].sort((a, b) => a.code.localeCompare(b.code));
}

// People present, summed over the parties that counted them.
export function peoplePresent(meeting) {
  return (meeting.attendees || []).reduce((n, a) => n + Number(a.people || 0), 0);
}
