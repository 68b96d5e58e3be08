// The work-order rules on the case page (docs/work-orders.md): which of
// their steps a case allows now, and each step's request as intake takes it
// (intake checks every rule again and names what is wrong).

// A case being handled (assigned or started).
const IN_HAND = ["CASE_STATUS_ASSIGNED", "CASE_STATUS_IN_PROGRESS"];

// The rules' steps the case allows: sign for it (签收), send it back (退单),
// ask for an extension (延期) or decide one, review the reply (审核), ask a
// co-handler (协办). now: to tell whether the case is still before its due time;
// me: the person's staff id (the review is offered to its reviewer alone).
export function orderStepsFor(c, now = Date.now(), me = "") {
  if (!c) return [];
  const steps = [];
  const assigned = c.status === "CASE_STATUS_ASSIGNED";
  const inHand = IN_HAND.includes(c.status);
  const pendingExtension = c.extension && c.extension.state === "CASE_EXTENSION_STATE_PENDING";
  if (assigned && !(c.stages && Number(c.stages.signed_unix_ms))) steps.push("sign");
  if (assigned && !c.no_owner) steps.push("sendBack");
  if (inHand && !pendingExtension && Number(c.due_unix_ms) > now) steps.push("extensionAsk");
  if (pendingExtension) steps.push("extensionDecide");
  if (mayReview(c, me)) steps.push("review");
  if (inHand) steps.push("cohandlerAdd");
  return steps;
}

const awaitingReview = c => !!(c && c.status === "CASE_STATUS_RESOLVED" && c.review
  && c.review.state === "CASE_REVIEW_STATE_PENDING");

// Whether the person may sign the reply awaiting review (审核), by intake's
// rule as the case tells it (review.expected_reviewer, read time): the
// reviewer grid names, alone; when grid names nobody, the unit's or the
// department's people (intake checks where they may write). Never the
// reply's writer (four eyes).
export function mayReview(c, me = "") {
  if (!awaitingReview(c)) return false;
  if (me && me === c.review.resolved_by) return false;
  const who = c.review.expected_reviewer;
  if (who && who.kind === "ASSIGNEE_KIND_STAFF") return !!me && who.code === me;
  return true;
}

// Whom a reply awaiting review waits on, for those who may not sign it
// ("" when the person may, or the case does not say).
export function reviewWaitsOn(c, me = "") {
  if (!awaitingReview(c) || mayReview(c, me)) return "";
  const who = c.review.expected_reviewer;
  return who ? who.name || who.code || "" : "";
}

// POST /v1/intake/cases/{id}/<route> of each step.
export const ORDER_ROUTES = {
  sign: "sign", sendBack: "send-back", extensionAsk: "extension", extensionDecide: "extension/decision",
  review: "review", cohandlerAdd: "cohandlers",
};

export function orderRequest(step, c, form) {
  const ref = { id: c.id, expected_version: c.version };
  const text = v => String(v || "").trim();
  switch (step) {
  case "sign":
    return { ref, note: text(form.note) };
  case "sendBack":
    return { ref, reason: text(form.reason) };
  case "extensionAsk":
    return { ref, working_days: Number(form.workingDays) || 0, reason: text(form.reason) };
  case "extensionDecide":
  case "review":
    return { ref, approved: form.decision === "approve", note: text(form.note) };
  case "cohandlerAdd":
    return { ref, co_handler: { kind: form.coKind, code: text(form.coCode) }, task: text(form.task),
      working_days: Number(form.workingDays) || 0 };
  default:
    throw new Error(`unknown step ${step}`);
  }
}

// A co-handler's task completed (POST .../cohandlers/{seq}/complete).
export function completeRequest(c, task, reply) {
  return { ref: { id: c.id, expected_version: c.version }, task_seq: task.seq, reply: String(reply || "").trim() };
}
