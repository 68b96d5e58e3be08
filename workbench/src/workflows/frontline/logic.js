// Frontline work's rules that are not a view's: how the forms become
// requests (what the services require, said before sending), and how the
// contact points and the department's pairings are summed for the figures.

export const PROBLEM_OPEN = "CONTACT_PROBLEM_STATUS_OPEN";
export const PROBLEM_SOLVED = "CONTACT_PROBLEM_STATUS_SOLVED";
export const PROBLEM_CASE = "CONTACT_PROBLEM_STATUS_CASE";
export const WORK_VISIT = "DEPARTMENT_WORK_KIND_VISIT";
export const WORK_PROBLEM = "DEPARTMENT_WORK_KIND_PROBLEM";
export const WORK_RESOURCE = "DEPARTMENT_WORK_KIND_RESOURCE";
export const RESOURCE_KINDS = ["RESOURCE_KIND_PEOPLE", "RESOURCE_KIND_MONEY", "RESOURCE_KIND_PREMISES",
  "RESOURCE_KIND_HOURS"];

const trimmed = value => String(value || "").trim();

// ContactVisitRecord's body from the visit form; { error: field } when
// what was found is unsaid. Empty problem lines are left out.
export function visitRequest(staffId, pointCode, form) {
  const findings = trimmed(form.findings);
  if (!findings) return { error: "findings" };
  const body = { staff_id: staffId, point_code: pointCode, findings };
  if (form.place_code && form.place_code !== pointCode) body.place_code = form.place_code;
  const people = trimmed(form.people_met);
  if (people) body.people_met = people;
  if (form.at) body.visited_unix_ms = Number(form.at);
  const problems = (form.problems || []).map(trimmed).filter(Boolean);
  if (problems.length) body.problems = problems.map(description => ({ description }));
  return { body };
}

// The 登记编号 a resident's receipt shows (SF20261207-0000123), as typed:
// trimmed, upper case; "" when it cannot be one.
export function registrationNumber(text) {
  const value = trimmed(text).toUpperCase();
  return /^[A-Z0-9][A-Z0-9-]{2,39}$/.test(value) ? value : "";
}

// ContactProblemUpdate's body: solved with how, or handed to intake's case
// (found by the 登记编号 on the receipt: intake's case, looked up first, gives
// its id and number; a number intake does not know is not sent).
export function problemUpdateRequest(problem, form, foundCase) {
  const body = { status: form.status, expected_version: Number(problem.version || 0) };
  const resolution = trimmed(form.resolution);
  if (resolution) body.resolution = resolution;
  if (form.status === PROBLEM_SOLVED && !resolution) return { error: "resolution" };
  if (form.status === PROBLEM_CASE) {
    if (!registrationNumber(form.case_registration)) return { error: "case_registration" };
    if (!foundCase || !Number(foundCase.id)) return { error: "case_unknown" };
    body.case_id = Number(foundCase.id);
    body.case_registration = foundCase.registration_number;
  }
  return { body };
}

// DepartmentWorkRecord's body from the work form.
export function workRequest(departmentCode, staffId, form) {
  const content = trimmed(form.content);
  if (!form.community_code) return { error: "community_code" };
  if (!content) return { error: "content" };
  const body = { department_code: departmentCode, community_code: form.community_code, kind: form.kind,
    staff_id: staffId, content };
  const people = trimmed(form.people_met);
  if (form.kind === WORK_VISIT && people) body.people_met = people;
  if (form.kind === WORK_RESOURCE) {
    const amount = Number(form.amount);
    if (!RESOURCE_KINDS.includes(form.resource_kind)) return { error: "resource_kind" };
    if (!(amount > 0)) return { error: "amount" };
    body.resource_kind = form.resource_kind;
    body.amount = amount;
  }
  if (form.at) body.at_unix_ms = Number(form.at);
  return { body };
}

// DepartmentWorkFollowUp's body.
export function followUpRequest(work, form) {
  const followUp = trimmed(form.follow_up);
  if (!followUp) return { error: "follow_up" };
  return { body: { follow_up: followUp, done: !!form.done, expected_version: Number(work.version || 0) } };
}

// The leader's figures over their points.
export function pointTotals(points) {
  const total = { points: points.length, visits: 0, problems: 0, open: 0, solved: 0, cases: 0, unvisited: 0 };
  for (const p of points) {
    total.visits += p.visits || 0;
    total.problems += p.problems || 0;
    total.open += p.problems_open || 0;
    total.solved += p.problems_solved || 0;
    total.cases += p.problems_case || 0;
    if (!p.visits) total.unvisited++;
  }
  return total;
}

// Points not visited for more than days (or never), the longest first: who
// is waiting for the leader.
export function overduePoints(points, nowMs, days = 60) {
  const limit = nowMs - days * 24 * 3600 * 1000;
  return points
    .filter(p => !Number(p.last_visit_unix_ms) || Number(p.last_visit_unix_ms) < limit)
    .sort((a, b) => Number(a.last_visit_unix_ms || 0) - Number(b.last_visit_unix_ms || 0));
}
