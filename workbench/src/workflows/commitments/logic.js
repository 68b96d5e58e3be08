// The rules of co-building deliveries and meeting attendance that are not
// the view's: how the forms become requests (what the services require,
// said before sending), and the shares shown.

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

// MeetingAttendanceRecord's body: every seat with its status (a seat
// without one is asked for).
export function attendanceRequest(unitCode, form, seats) {
  if (!MECHANISMS.includes(form.mechanism)) return { error: "mechanism" };
  const title = trimmed(form.title);
  if (!title) return { error: "title" };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(trimmed(form.held_on))) return { error: "held_on" };
  if (!seats.length) return { error: "attendees" };
  const attendees = [];
  for (const seat of seats) {
    const status = form.statuses[seat.staff_id];
    if (!STATUSES.includes(status)) return { error: "attendees", staff: seat.staff_id };
    const entry = { staff_id: seat.staff_id, status };
    const note = trimmed(form.notes[seat.staff_id]);
    if (note) entry.note = note;
    attendees.push(entry);
  }
  return { body: { unit_code: unitCode, mechanism: form.mechanism, title, held_on: trimmed(form.held_on), attendees } };
}
