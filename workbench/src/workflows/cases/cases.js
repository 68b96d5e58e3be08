// The case desk's pure rules: which queue a case stands in, which steps a
// case in its status may take (the same rules intake enforces; the desk
// offers only those, and intake still refuses what the person may not
// do), and how each step's form becomes its request.

export const DUE_SOON_HOURS = 24;

const OPEN = ["CASE_STATUS_RECEIVED", "CASE_STATUS_ACCEPTED", "CASE_STATUS_ASSIGNED", "CASE_STATUS_IN_PROGRESS"];

export function isOpen(c) {
  return OPEN.includes(c.status);
}

export function isOverdue(c, now = Date.now()) {
  return isOpen(c) && (!!c.overdue || (Number(c.due_unix_ms) > 0 && Number(c.due_unix_ms) < now));
}

// Whether a case was escalated to one of the units the person answers for
// (the community it was escalated to, or the street, lies in their unit).
export function escalatedTo(c, units) {
  if (!c.escalation_level || !c.escalated_to) return false;
  return units.some(u => u && String(c.escalated_to).startsWith(u));
}

// The desk's queues, in the order the desk shows them; a case may stand in
// more than one (an accepted case may also be due soon).
export const QUEUES = ["received", "accepted", "inProgress", "dueSoon", "overdue", "escalated", "returnVisit"];

export function queueOf(name, cases, { units = [], now = Date.now(), dueSoonHours = DUE_SOON_HOURS } = {}) {
  const soon = now + dueSoonHours * 3600000;
  const pick = {
    received: c => c.status === "CASE_STATUS_RECEIVED",
    accepted: c => c.status === "CASE_STATUS_ACCEPTED" || c.status === "CASE_STATUS_ASSIGNED",
    inProgress: c => c.status === "CASE_STATUS_IN_PROGRESS",
    dueSoon: c => isOpen(c) && !isOverdue(c, now) && Number(c.due_unix_ms) > 0 && Number(c.due_unix_ms) <= soon,
    overdue: c => isOverdue(c, now),
    escalated: c => isOpen(c) && escalatedTo(c, units),
    returnVisit: c => c.status === "CASE_STATUS_RESOLVED",
  }[name];
  const due = c => Number(c.due_unix_ms) || Infinity;
  // The most pressing first: the soonest due (the longest overdue).
  return cases.filter(pick).sort((a, b) => due(a) - due(b) || Number(a.id) - Number(b.id));
}

// Several lists (a cadre's zones, open and awaiting the return visit) as
// one, each case once.
export function merge(...lists) {
  const seen = new Map();
  for (const list of lists) for (const c of list || []) seen.set(String(c.id), c);
  return [...seen.values()];
}

// Whether the person decides who handles a no-owner case (无头事项): sent
// back twice, it waits on the level above (the street of a community's
// case, the district of a street's) to be assigned by decision, and only
// who works there may (intake refuses the others, PERMISSION_DENIED).
export function decidesOwner(c, units = []) {
  const w = c && c.waiting_on;
  return !!(c && c.no_owner && c.status === "CASE_STATUS_ACCEPTED" && w && w.route === "decides the owner"
    && units.some(u => u && String(w.code).startsWith(u)));
}

// The steps a case in its status may take, as intake allows them. decides:
// whether the person assigns a no-owner case (decidesOwner); the others
// have no step on it until it is assigned.
export function stepsFor(c, { providerRouting = false, decides = false } = {}) {
  if (c.no_owner && c.status === "CASE_STATUS_ACCEPTED") return decides ? ["assign", "transfer", "reject"] : [];
  const steps = [];
  switch (c.status) {
  case "CASE_STATUS_RECEIVED":
    steps.push("accept", "reject", "transfer");
    break;
  case "CASE_STATUS_ACCEPTED":
  case "CASE_STATUS_ASSIGNED":
    steps.push("start", "assign", "resolve", "transfer", "reject");
    break;
  case "CASE_STATUS_IN_PROGRESS":
    steps.push("resolve", "assign", "transfer", "reject");
    break;
  case "CASE_STATUS_RESOLVED":
    steps.push("close");
    break;
  default:
    break;
  }
  const dispatchable = ["CASE_STATUS_ACCEPTED", "CASE_STATUS_ASSIGNED", "CASE_STATUS_IN_PROGRESS"].includes(c.status);
  const state = (c.dispatch && c.dispatch.state) || "CASE_DISPATCH_STATE_UNSPECIFIED";
  const ended = ["CASE_DISPATCH_STATE_UNSPECIFIED", "CASE_DISPATCH_STATE_DECLINED", "CASE_DISPATCH_STATE_UNMATCHED",
    "CASE_DISPATCH_STATE_CANCELLED", "CASE_DISPATCH_STATE_COMPLETED"].includes(state);
  if (providerRouting && dispatchable && ended) steps.splice(1, 0, "dispatch");
  return steps;
}

// A step's form as the request its route takes (the case's version, so
// that a step taken on a case someone else just moved is refused, not
// applied to a case the person has not seen).
export function stepRequest(step, c, form) {
  const ref = { id: c.id, expected_version: c.version };
  const text = v => String(v || "").trim();
  switch (step) {
  case "accept":
  case "start":
    return { ref, note: text(form.note) };
  case "assign": {
    const body = { ref, note: text(form.note) };
    if (form.assigneeKind && text(form.assigneeCode))
      body.assignee = { kind: form.assigneeKind, code: text(form.assigneeCode) };
    return body;
  }
  case "resolve":
    return { ref, resolution: text(form.resolution) };
  case "close":
    return { ref, satisfaction: Number(form.satisfaction) || 0, note: text(form.note) };
  case "reject":
    return { ref, reason: text(form.reason) };
  case "transfer":
    return { ref, transferred_to: text(form.transferredTo), reason: text(form.reason) };
  case "handoff":
    return { ref, to_instance: text(form.toInstance), reason: text(form.reason) };
  case "handoffCancel":
    return { ref, reason: text(form.reason) };
  case "dispatch": {
    const body = { ref, note: text(form.note) };
    if (form.providerKind) {
      body.provider_kind = form.providerKind;
      body.provider_id = text(form.providerId);
      body.provider_name = text(form.providerName);
    }
    return body;
  }
  default:
    throw new Error(`unknown step ${step}`);
  }
}

// The route of each step (POST /v1/intake/cases/{id}/<route>).
export const STEP_ROUTES = {
  accept: "accept", assign: "assign", start: "start", resolve: "resolve", close: "close", reject: "reject",
  transfer: "transfer", dispatch: "dispatch", handoff: "handoff", handoffCancel: "handoff/cancel",
};

// The notes intake writes itself into a case's history (a person's own note
// is shown as written) in Chinese: its few fixed sentences, with the
// channel and routing names they hold.
const CHANNELS_ZH = {
  window: "窗口", hotline: "热线电话", "one-key call": "一键通", website: "网站", "e-mail": "电子邮件",
  "party member card": "党员服务卡", "resident council": "居民议事会", "community meeting": "社区会议",
};
const ROUTES_ZH = {
  "item department": "事项主管部门", "zone committee member": "网格社区委员", "zone street cadre": "网格街道干部",
  "community station": "社区服务站", "street office": "街道办事处", "assigned by hand": "人工派单",
  "assigned by decision (no-owner case)": "无头事项，研究决定交办", "escalated to the community": "超期上报社区",
  "escalated to the street": "上报街道",
};
const SERVICES_ZH = { employment: "就业服务", volunteer: "志愿服务" };
const zh = (table, text) => table[text] || text;
const routed = (name, route) => (name ? `；派给 ${name}${route ? `（${zh(ROUTES_ZH, route)}）` : ""}` : "");
// Whom an escalation went to, after the unit's code in the sweep's note.
function escalationHead(rest) {
  const head = rest.match(/^, its head (.+) \(([^)]+)\)$/);
  if (head) return `，负责人 ${head[1]}（${head[2]}）`;
  return rest === " (no head named: the unit holds it)" ? "（未指定负责人，由该单位承办）" : rest;
}
const NOTES_ZH = [
  [/^registered \(([^)]+)\)(?:; routed to (.+) \(([^)]+)\))?(?:; raised at meeting (\d+))?$/,
    m => `登记（${zh(CHANNELS_ZH, m[1])}）${routed(m[2], m[3])}${m[4] ? `；议事会议 ${m[4]} 提出` : ""}`],
  [/^received \(([^)]+)\)(?:; raised at meeting (\d+))?$/,
    m => `收到（${zh(CHANNELS_ZH, m[1])}），待受理${m[2] ? `；议事会议 ${m[2]} 提出` : ""}`],
  [/^accepted(?:; routed to (.+?)(?: \(([^)]+)\))?)?$/, m => `受理登记${routed(m[1], m[2])}`],
  [/^assigned to (.+) \(([^)]+)\)$/, m => `派给 ${m[1]}（${zh(ROUTES_ZH, m[2])}）`],
  // The work-order rules' notes (docs/work-orders.md).
  [/^assigned to (.+) \(([^)]+)\); a no-owner case, by decision$/,
    m => `派给 ${m[1]}（${zh(ROUTES_ZH, m[2])}）；无头事项，研究决定交办`],
  [/^signed for by (.+)$/, m => `${m[1]} 已签收`],
  [/^(\d+) working days asked of (\d+): (.*)$/s, m => `向 ${m[2]} 申请延期 ${m[1]} 个工作日：${m[3]}`],
  [/^(\d+) working days granted$/, m => `批准延期 ${m[1]} 个工作日`],
  [/^reply reviewed and signed$/, () => "答复已审核签字"],
  [/^(receipt \(签收\)|first response) late: due (.+), held by (.*) \(assignment (\d+)\)$/,
    m => `${m[1] === "first response" ? "首次响应" : "签收"}超时：时限 ${m[2]}，当时承办 ${m[3]}（第 ${m[4]} 次派单）`],
  [/^(.*); sent back (\d+) times: a no-owner case \(无头事项\) for (.+) to assign by decision$/s,
    m => `${m[1]}；已退单 ${m[2]} 次，列为无头事项，由 ${m[3]} 研究决定交办`],
  [/^return visit: satisfaction (\d)$/, m => `回访：满意度 ${m[1]}`],
  // The sweep's escalation: to the unit's head grid names, or the unit alone
  // (older notes name only the unit).
  [/^past due (.+); escalated to community (\d+)(.*)$/,
    m => `已超期（时限 ${m[1]}），上报社区 ${m[2]}${escalationHead(m[3])}`],
  [/^still open (\d+) hours after escalation to the community; escalated to street (\d+)(.*) \(due (.+)\)$/,
    m => `上报社区 ${m[1]} 小时后仍未办结，上报街道 ${m[2]}${escalationHead(m[3])}（时限 ${m[4]}）`],
  // The sweep's 催办 and 提级督办 say it in both languages: the Chinese half.
  [/^(催办：.+|提级督办：.+) \((?:reminder|referred up): [^()]*\)$/s, m => m[1]],
  // One registration, all services: the owning service's answer.
  [/^(employment|volunteer) (registered|updated) (person|volunteer) (\S+)$/,
    m => `${zh(SERVICES_ZH, m[1])}${m[2] === "registered" ? "已登记" : "已更新"}${m[3] === "person" ? "人员" : "志愿者"} ${m[4]}`],
  [/^(employment|volunteer) refused the registration: (.+)$/s, m => `${zh(SERVICES_ZH, m[1])}退回登记：${m[2]}`],
  // The registry's offers (docs/circle.md): back with the desk, its last
  // refusal or time-out after it; an offer not answered in time (the sweep
  // names no one when the offer had no name: "the assignee").
  [/^returned to the desk after (\d+) refusals or time-outs(?:; the last: (.*))?$/s,
    m => `拒单或未答复 ${m[1]} 次，退回受理台${m[2] ? `；最后一次：${historyNote(m[2])}` : ""}`],
  [/^(.+) did not answer in time$/s, m => (m[1] === "the assignee" ? "服务方未在时限内答复" : `${m[1]} 未在时限内答复`)],
  // Hand-off between intake instances (docs/operations.md).
  [/^handed to (\S+): (.*)$/s, m => `移交 ${m[1]}：${m[2]}`],
  [/^received from (\S+), case (\d+) \((.*)\)$/, m => `由 ${m[1]} 移交，原案件 ${m[3]}（#${m[2]}）`],
  [/^(\S+) received it as case (\d+) \((.*)\)$/, m => `${m[1]} 已接收，案件 ${m[3]}（#${m[2]}）`],
];

// The sweep's bilingual notes, for an English reader: the English half.
const NOTES_EN = [[/^(?:催办|提级督办)：.+ \(((?:reminder|referred up): [^()]*)\)$/s, m => m[1]]];

export function historyNote(note, locale = "zh-CN") {
  if (!note) return "";
  if (locale === "en") {
    const match = NOTES_EN.map(([pattern, text]) => [String(note).match(pattern), text]).find(([m]) => m);
    return match ? match[1](match[0]) : note;
  }
  for (const [pattern, text] of NOTES_ZH) {
    const match = String(note).match(pattern);
    if (match) return text(match);
  }
  return note;
}

// Whether a history step is an offer that was not answered in time (the
// registry's sweep moved it on, docs/circle.md): its note says so, or it is
// the case's latest provider step and the case's dispatch says timed_out.
// Such a step is told as 服务方未答复, not as a refusal.
export function timedOutStep(h, history = [], c = null) {
  if (!h || h.action !== "CASE_ACTION_PROVIDER_DECLINED") return false;
  if (/ did not answer in time$/.test(String(h.note || ""))) return true;
  if (!(c && c.dispatch && c.dispatch.timed_out)) return false;
  const seqs = history.filter(x => x.action === "CASE_ACTION_PROVIDER_DECLINED").map(x => Number(x.seq));
  return seqs.length > 0 && Number(h.seq) === Math.max(...seqs);
}

// The label of a history step (an i18n key).
export function stepLabelKey(h, history = [], c = null) {
  return timedOutStep(h, history, c) ? "cases.providerTimedOut" : `cases.actionNames.${h.action}`;
}

// A case handed to another intake instance, or received from one
// (Case.handoff, docs/operations.md "City level and hand-off"): which
// sentence tells it (an i18n key under cases.handoff) and what it names.
// null when the case was never handed.
const HANDOFF_KEYS = {
  HANDOFF_STATE_SENDING: "sending", HANDOFF_STATE_LINKED: "linked", HANDOFF_STATE_RECEIVED: "received",
  HANDOFF_STATE_REFUSED: "refused", HANDOFF_STATE_WITHDRAWING: "withdrawing", HANDOFF_STATE_CANCELLED: "cancelled",
};

export function handoffOf(c) {
  const h = c && c.handoff;
  if (!h || !h.state || h.state === "HANDOFF_STATE_UNSPECIFIED") return null;
  const received = h.state === "HANDOFF_STATE_RECEIVED";
  const key = HANDOFF_KEYS[h.state];
  if (!key) return null;
  return {
    key,
    instance: (received ? h.from_instance : h.to_instance) || "",
    caseId: String((received ? h.from_case_id : h.to_case_id) || ""),
    registration: (received ? h.from_registration : h.to_registration) || "",
    reason: h.reason || "",
    sentAt: Number(h.sent_unix_ms) || 0,
    linkedAt: Number(h.linked_unix_ms) || 0,
    refusal: h.refusal || "",
    refusedAt: Number(h.refused_unix_ms) || 0,
    returnedAt: Number(h.returned_unix_ms) || 0,
    cancelReason: h.cancel_reason || "",
  };
}

// The case's standing in the hand-off, for the status beside its number:
// 移交中 (sent, not yet taken there, or being withdrawn), 已移交 (taken
// there), 移交被退回 or 已撤回移交 (back at this desk). An i18n key
// under cases.handoff.states, or "" when the case's own status says it.
export function handoffStanding(c) {
  const h = handoffOf(c);
  if (!h) return "";
  return { sending: "sending", withdrawing: "sending", linked: "handed", refused: "refused",
    cancelled: "withdrawn" }[h.key] || "";
}

// The people roles intake lets handle a case (SF_ROLES_CASE_HANDLE).
const HANDLING_ROLES = ["window_clerk", "zone_cadre", "community_staff", "street_staff", "department_staff"];
// Roles whose grant writes in their staff record's unit and below
// (the gateway's default scopes, services/gateway/gateway_duty.c).
const UNIT_WRITERS = ["window_clerk", "community_staff", "street_staff", "employment_counsellor",
  "volunteer_coordinator"];

// Whether the person may act on the case, by intake's rule
// (intake_case_writable): a handling role, and the case's unit within
// where one of their roles writes (their unit and below; a cadre's zones;
// the appraisal office everywhere), or the case assigned to the department
// they are staff of. person: { roles, unit, zones, department }. An account
// role's own data scope is not in the session: intake still refuses what
// the person may not do.
export function mayActOn(c, { roles = [], unit = "", zones = [], department = "" } = {}) {
  if (!c || !roles.some(r => HANDLING_ROLES.includes(r))) return false;
  const writes = [];
  if (unit && roles.some(r => UNIT_WRITERS.includes(r))) writes.push(unit);
  if (unit && roles.includes("zone_cadre")) writes.push(...zones);
  if (roles.includes("appraisal_office")) writes.push("");
  const code = String(c.unit_code || "");
  if (writes.some(w => code.startsWith(w))) return true;
  const a = c.assignee;
  return roles.includes("department_staff") && !!department && !!a && a.kind === "ASSIGNEE_KIND_DEPARTMENT"
    && a.code === department;
}

// Whether the case may be handed to another intake now (HandoffCase): intake's
// hand-off rule names another intake for it (Case.handoff_target: its item's
// department's, else its place's), it is open, not with a provider, and not
// handed already unless that hand-off came back (refused or cancelled); and
// the person may act on it.
export function mayHandOff(c, person) {
  if (!c || !c.handoff_target || !isOpen(c) || !mayActOn(c, person)) return false;
  const state = (c.dispatch && c.dispatch.state) || "";
  if (["CASE_DISPATCH_STATE_REQUESTED", "CASE_DISPATCH_STATE_OFFERED", "CASE_DISPATCH_STATE_ACCEPTED"]
    .includes(state)) return false;
  const h = handoffOf(c);
  return !h || ["received", "refused", "cancelled"].includes(h.key);
}

// Whether a hand-off not yet taken may be withdrawn (HandoffCancel, 撤回):
// sent, the other intake not yet answered; by who may act on the case.
export function mayCancelHandOff(c, person) {
  const h = handoffOf(c);
  return !!h && h.key === "sending" && mayActOn(c, person);
}

// Where the case may be handed: the instance intake's rule names
// (Case.handoff_target) alone, told, not chosen; else (an intake without
// the rule) the intakes the gateway reaches but the one the case is at.
export function handoffTargets(c, { at = "intake", reached = [] } = {}) {
  if (c && c.handoff_target) return { byRule: true, instances: [c.handoff_target] };
  return { byRule: false, instances: reached.filter(i => i !== at) };
}
