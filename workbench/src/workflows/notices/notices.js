// What the notices page and the case page's follow-through card decide,
// apart from the page: the inbox's query, the unread count's text, and
// which of the supervision, rework and follow-up steps a person may take
// on a case (intake decides for good; these only offer them).

export const SUPERVISOR_ROLES = ["street_staff", "leader"];

// The query of a page of the inbox.
export function inboxQuery({ unreadOnly = false, token = "", size = 20 } = {}) {
  return { unread_only: unreadOnly ? true : undefined, page_size: size, page_token: token || undefined };
}

// The badge's text: nothing at 0, "99+" past 99.
export function badgeText(unread) {
  const n = Number(unread) || 0;
  if (n <= 0) return "";
  return n > 99 ? "99+" : String(n);
}

const OPEN = ["CASE_STATUS_RECEIVED", "CASE_STATUS_ACCEPTED", "CASE_STATUS_ASSIGNED", "CASE_STATUS_IN_PROGRESS"];

// The follow-through steps offered on a case: a supervisor's ladder on an
// open case (督办 once overdue, 提级督办 once supervised or after three
// handoffs or reworks), the first responder's follow-up until it closes,
// and the resident's complaint once it is resolved or closed.
export function followSteps(c, { roles = [], staffId = "" } = {}) {
  if (!c) return [];
  const steps = [];
  const open = OPEN.includes(c.status);
  const level = Number(c.supervision_level || 0);
  if (open && roles.some(r => SUPERVISOR_ROLES.includes(r))) {
    steps.push("remind");
    if (c.overdue) steps.push("supervise");
    if (level < 3 && (level >= 2 || Number(c.handoff_count || 0) >= 3 || Number(c.rework_count || 0) >= 3))
      steps.push("referUp");
  }
  if (staffId && c.first_responder_id === staffId && (open || c.status === "CASE_STATUS_RESOLVED"))
    steps.push("followUp");
  if (c.status === "CASE_STATUS_RESOLVED" || c.status === "CASE_STATUS_CLOSED") steps.push("complain");
  return steps;
}

// A notice's line in the reader's language. Intake writes one text for
// every reader, "<number> <the kind in both languages>：<the item, 中文
// English>[ — <the step's note>]" (intake_notices.c), which is what a
// phone or an event follower gets; the page says the same from the notice's
// own fields: the case's number, the step that happened (its action, in the
// case page's words), the item's name in the reader's language and the
// step's note as the case history shows it (intake's fixed sentences in
// Chinese, a person's note as written). A text not of that form (the
// calendar's warning) is shown as intake wrote it. words: { action(name),
// item(text), note(text) } from the page's i18n.
export function noticeLine(n, words) {
  const text = String((n && n.text) || "");
  const number = String(n.registration_number || (Number(n.case_id) ? `#${n.case_id}` : ""));
  const colon = text.indexOf("：");
  if (!number || !text.startsWith(number + " ") || colon < 0) return text;
  const rest = text.slice(colon + 1);
  const dash = rest.indexOf(" — ");
  const item = dash < 0 ? rest : rest.slice(0, dash);
  const note = dash < 0 ? "" : rest.slice(dash + 3);
  const action = words.action(n.action);
  return `${number} ${action}：${words.item(item)}${note ? ` — ${words.note(note)}` : ""}`;
}

// The route and body of a follow-through step.
export function followRequest(step, c, note) {
  const ref = { id: c.id, expected_version: c.version };
  const kinds = { remind: "CASE_SUPERVISE_KIND_REMIND", supervise: "CASE_SUPERVISE_KIND_SUPERVISE",
    referUp: "CASE_SUPERVISE_KIND_REFER_UP" };
  if (kinds[step]) return { path: "supervise", body: { ref, kind: kinds[step], note } };
  if (step === "followUp") return { path: "follow-up", body: { ref, note } };
  return { path: "complain", body: { ref, note } };
}
