// The rules of co-building deliveries, meeting attendance and the joint
// mechanisms' member units that are not the view's: how the forms become
// requests (what the services require, said before sending), and the
// shares shown.

export const STANDINGS = ["CO_BUILDING_DELIVERY_STANDING_KIND_KEPT", "CO_BUILDING_DELIVERY_STANDING_KIND_PARTLY_KEPT",
  "CO_BUILDING_DELIVERY_STANDING_KIND_NOT_KEPT"];
export const MECHANISMS = ["MEETING_ATTENDANCE_MECHANISM_PART_TIME_COMMITTEE", "MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY",
  "MEETING_ATTENDANCE_MECHANISM_STREET_JOINT", "MEETING_ATTENDANCE_MECHANISM_OTHER_JOINT"];
export const ATTENDED = "MEETING_ATTENDANCE_STATUS_ATTENDED";
export const STATUSES = [ATTENDED, "MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE",
  "MEETING_ATTENDANCE_STATUS_ABSENT_WITHOUT_LEAVE"];

const trimmed = value => String(value ?? "").trim();

// A percentage with one decimal of part in whole; null when whole is 0.
export function percent(part, whole) {
  const w = Number(whole || 0);
  if (!w) return null;
  return Math.round((Number(part || 0) * 1000) / w) / 10;
}

// "B0042#1": a commitment of the standing list, as the form's choice.
export function commitmentKey(row) {
  return `${row.cobuilding_id}#${row.commitment}`;
}

// CoBuildingDeliveryRecord's body (and the co-building's id, which is the
// route's) from the delivery form.
export function deliveryRequest(form) {
  const [cobuildingId, position] = String(form.commitment || "").split("#");
  if (!cobuildingId || position === undefined) return { error: "commitment" };
  const quantity = Number(trimmed(form.quantity));
  if (!trimmed(form.quantity) || !(quantity > 0)) return { error: "quantity" };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(trimmed(form.delivered_on))) return { error: "delivered_on" };
  const evidence = trimmed(form.evidence);
  if (!evidence) return { error: "evidence" };
  const body = { cobuilding_id: cobuildingId, commitment: Number(position), quantity,
    delivered_on: trimmed(form.delivered_on), evidence };
  const note = trimmed(form.note);
  if (note) body.note = note;
  return { cobuildingId, body };
}

export const PART_TIME = "MEETING_ATTENDANCE_MECHANISM_PART_TIME_COMMITTEE";
export const KINDS = ["JOINT_MEMBER_KIND_PARTY_ORGANISATION", "JOINT_MEMBER_KIND_RESIDENTS_COMMITTEE",
  "JOINT_MEMBER_KIND_PROPERTY_MANAGEMENT", "JOINT_MEMBER_KIND_OWNERS_COMMITTEE", "JOINT_MEMBER_KIND_RESIDENT_UNIT",
  "JOINT_MEMBER_KIND_DEPARTMENT", "JOINT_MEMBER_KIND_OTHER"];

// The joint mechanism a unit holds: a street its joint party-building
// meeting, a community its five-party meeting.
export function jointMechanismOf(unitCode) {
  return String(unitCode || "").length === 9 ? "MEETING_ATTENDANCE_MECHANISM_STREET_JOINT"
    : "MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY";
}

// The member units a meeting of the mechanism names: its members (none
// for the part-time committee's own meeting).
export function unitsFor(mechanism, members) {
  return mechanism === PART_TIME ? [] : members.filter(m => m.mechanism === mechanism);
}

// MeetingAttendanceRecord's body: every seat and every member unit with
// its status (one without is asked for); who came for a unit when it was
// not its representative.
export function attendanceRequest(unitCode, form, seats, units = []) {
  if (!MECHANISMS.includes(form.mechanism)) return { error: "mechanism" };
  const title = trimmed(form.title);
  if (!title) return { error: "title" };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(trimmed(form.held_on))) return { error: "held_on" };
  if (!seats.length && !units.length) return { error: "attendees" };
  const attendees = [];
  for (const seat of seats) {
    const status = form.statuses[seat.staff_id];
    if (!STATUSES.includes(status)) return { error: "attendees", staff: seat.staff_id };
    const entry = { staff_id: seat.staff_id, status };
    const note = trimmed(form.notes[seat.staff_id]);
    if (note) entry.note = note;
    attendees.push(entry);
  }
  const member_units = [];
  for (const unit of units) {
    const status = form.statuses[unit.id];
    if (!STATUSES.includes(status)) return { error: "member_units", member: unit.id };
    const entry = { member_id: unit.id, status };
    const came = trimmed(form.came[unit.id]);
    if (came && status === ATTENDED) entry.representative = came;
    const note = trimmed(form.notes[unit.id]);
    if (note) entry.note = note;
    member_units.push(entry);
  }
  const body = { unit_code: unitCode, mechanism: form.mechanism, title, held_on: trimmed(form.held_on), attendees };
  if (member_units.length) body.member_units = member_units;
  return { body };
}

// JointMemberSet's body from the member form: a new member of the unit's
// mechanism, or (id given) the member updated; leaving is its own request.
export function memberRequest(unitCode, form) {
  if (!KINDS.includes(form.kind)) return { error: "kind" };
  const name = trimmed(form.name);
  if (!name) return { error: "name" };
  const representative = trimmed(form.representative);
  if (!representative) return { error: "representative" };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(trimmed(form.joined_on))) return { error: "joined_on" };
  const body = { kind: form.kind, name, representative, representative_post: trimmed(form.representative_post),
    joined_on: trimmed(form.joined_on), active: true };
  if (form.id) body.id = form.id;
  else Object.assign(body, { unit_code: unitCode, mechanism: jointMechanismOf(unitCode) });
  return { body };
}

// The member as it was, now left on day.
export function leaveRequest(member, day) {
  return { id: member.id, kind: member.kind, name: member.name, representative: member.representative,
    representative_post: member.representative_post || "", joined_on: member.joined_on, active: false, left_on: day };
}
