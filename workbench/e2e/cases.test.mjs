// Workflow 2, the case desk: a community's staff see their cases in queues
// (new, accepted, overdue, with the time left from intake's due time,
// escalated to their community's head by intake's deadline sweep, the head
// named beside the escalation on the case page), start a
// registered one, resolve it (an empty resolution is
// refused beside the field) and close it after the return visit with the
// resident's satisfaction, dispatch a meal delivery to a contracted
// business, transfer an overdue case; every step lands in intake as shown,
// and the history reads as intake's transitions. A department's staff see
// their department's cases; a leader has no desk and intake refuses their
// steps.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot, districtTime } from "./lib.mjs";

const d = fixture.district;
const text = async (page, test) => (await page.locator(`[data-test="${test}"]`).first().innerText()).trim();
const STATUS = { CASE_STATUS_RECEIVED: "待受理", CASE_STATUS_ACCEPTED: "已受理", CASE_STATUS_ASSIGNED: "已派单",
  CASE_STATUS_IN_PROGRESS: "办理中", CASE_STATUS_RESOLVED: "待回访", CASE_STATUS_CLOSED: "已办结",
  CASE_STATUS_TRANSFERRED: "已转办" };
const ACTIONS = { CASE_ACTION_RECEIVED: "收到", CASE_ACTION_ACCEPTED: "受理登记", CASE_ACTION_ASSIGNED: "派给承办",
  CASE_ACTION_STARTED: "开始办理", CASE_ACTION_RESOLVED: "办结", CASE_ACTION_CLOSED: "回访结案",
  CASE_ACTION_TRANSFERRED: "转办", CASE_ACTION_OVERDUE: "超期，上报社区", CASE_ACTION_DISPATCHED: "派单",
  CASE_ACTION_SIGNED: "签收", CASE_ACTION_STAGE_LATE: "环节超时",
  // The sweep reminds a case before its due time (催办), so a case the test
  // walks slowly may carry that step; the rest of the ladder and rework too.
  CASE_ACTION_REMINDED: "催办", CASE_ACTION_SUPERVISED: "督办", CASE_ACTION_REFERRED_UP: "提级督办",
  CASE_ACTION_REOPENED: "回访不满意，重新办理", CASE_ACTION_COMPLAINED: "居民投诉，重新办理",
  CASE_ACTION_FOLLOWED_UP: "首问跟进" };

function submission(household, item, extra = {}) {
  return { channel: "CASE_CHANNEL_WEBSITE", item_code: item, description: `e2e ${item} ${household}`,
    requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: household, name: "住户", phone: "13941000111" },
    ...extra };
}
const getCase = id => api("GET", `/v1/intake/cases/${id}`);

// The case page against intake: status, due time, and the history step by step.
async function checkCase(page, id, what) {
  const h = await api("GET", `/v1/intake/cases/${id}/history`);
  await page.waitForFunction(([n, s]) => document.querySelectorAll('[data-test^="history-"][class*="timeline"]').length === n
    && document.querySelector('[data-test="case-status"]')?.innerText.trim() === s,
  [h.transitions.length, STATUS[h.current.status]], { timeout: 10000 }).catch(() => {});
  check(await text(page, "case-status") === STATUS[h.current.status], `${what}: status ${STATUS[h.current.status]}`);
  check(await text(page, "case-due") === districtTime(h.current.due_unix_ms), `${what}: due ${districtTime(h.current.due_unix_ms)}`);
  const actions = await page.locator('[data-test="history-action"]').allInnerTexts();
  const expected = [...h.transitions].reverse().map(t => ACTIONS[t.action] || t.action);
  check(JSON.stringify(actions) === JSON.stringify(expected), `${what}: the history as intake's (${actions.join(" ← ")})`);
  return h.current;
}

async function step(page, name, fill = async () => {}) {
  await page.locator(`[data-test="step-${name}"]`).click();
  await page.waitForSelector(`[data-test="step-form-${name}"]`);
  await fill();
  await page.locator('[data-test="step-submit"]').click();
  await page.waitForSelector('[data-test="step-done"]');
}

await run(async browser => {
  const community = fixture.people.community_staff;
  let now;
  // A meal delivery and a dispute, registered by a station (routed at
  // once), one registered 40 days ago (past due), and one of the
  // department's.
  const meal = await api("POST", "/v1/intake/cases", submission(d.households[0][5], "elderly-meal-delivery"));
  const fresh = await api("POST", "/v1/intake/cases", submission(d.households[0][3], "dispute-mediation"));
  const old = await api("POST", "/v1/intake/cases", submission(d.households[0][4], "elderly-allowance",
    { channel: "CASE_CHANNEL_WINDOW", imported: { at_unix_ms: Date.now() - 40 * 86400000, actor_id: community.staff_id } }));
  const departmental = await api("POST", "/v1/intake/cases", submission(d.households[0][6], "elderly-allowance",
    { channel: "CASE_CHANNEL_WINDOW", imported: { at_unix_ms: Date.now() - 3600000, actor_id: community.staff_id } }));
  // From the party website (a system, not a station): it arrives to be accepted.
  const received = await api("POST", "/v1/intake/cases", submission(d.households[0][2], "dispute-mediation"),
    { key: fixture.website_key });
  check(received.status === "CASE_STATUS_RECEIVED", `seeded: the website's case arrives ${received.status}`);
  check(meal.status === "CASE_STATUS_ASSIGNED" && fresh.status === "CASE_STATUS_ASSIGNED"
        && Number(old.due_unix_ms) < Date.now(),
        `seeded: cases routed at once, one past due (${meal.status} ${fresh.status} ${districtTime(old.due_unix_ms)})`);

  // Intake's deadline sweep: the case past due is escalated to its
  // community's head (负责人), whom grid names: the person at this desk.
  const head = { staff_id: community.staff_id, unit_code: d.communities[0], kind: "RESPONSIBILITY_KIND_UNIT_HEAD" };
  await api("POST", "/v1/grid/responsibilities", head);
  await new Promise(resolve => setTimeout(resolve, 1500));  // intake's copy of grid follows it (every 200 ms)
  await api("POST", "/v1/intake/sweep", {});
  const swept = await getCase(old.id);
  check(swept.escalation_level === 1 && swept.escalated_to === d.communities[0]
        && swept.escalated_to_person_id === community.staff_id && swept.escalated_to_person_name === "community",
        `the sweep escalates the past-due case to community ${swept.escalated_to}'s head ${swept.escalated_to_person_name}`);

  const page = await newPage(browser);
  await logIn(page, "community_staff");
  await page.locator('[data-test="nav-cases"]').click();
  await page.waitForSelector('[data-test="desk-table"]');
  check((await text(page, "desk-scope")).includes(d.communities[0]), "the desk lists the person's community");
  await page.locator('[data-test="desk-tab-accepted"]').click();
  await page.waitForSelector(`[data-test="desk-case-${fresh.id}"]`);
  check(await text(page, "desk-count-accepted") === "4", "accepted: the four open cases of the community, counted 4");
  check(await text(page, `desk-due-${fresh.id}`) === districtTime(fresh.due_unix_ms), "accepted: the due time as intake's");
  await screenshot(page, "cases-desk");
  await page.locator('[data-test="desk-tab-overdue"]').click();
  await page.waitForSelector(`[data-test="desk-case-${old.id}"]`);
  check(await text(page, `desk-due-${old.id}`) === districtTime(old.due_unix_ms), "overdue: the due time as intake's");
  check(/^超期 /.test(await text(page, `desk-countdown-${old.id}`)), `overdue: ${await text(page, `desk-countdown-${old.id}`)}`);
  await screenshot(page, "cases-overdue");
  await page.locator('[data-test="desk-tab-escalated"]').click();
  await page.waitForSelector(`[data-test="desk-case-${old.id}"]`);
  check(await text(page, `desk-escalation-${old.id}`) === "已上报社区",
        "escalated to me: the case intake escalated to the person's community, 已上报社区");
  // The case page names the head beside the escalation.
  await page.goto(`${fixture.gateway}/#/cases/${old.id}`);
  await page.waitForSelector('[data-test="case-escalated-person"]');
  check(await text(page, "case-escalation") === `已上报社区 （负责人：${swept.escalated_to_person_name}）`
        && await text(page, "case-escalated-person") === `（负责人：${swept.escalated_to_person_name}）`,
        `the case page: ${await text(page, "case-escalation")}`);
  await screenshot(page, "cases-escalated-head");
  // The rest of the suite's workflows find the community without a head, as before.
  await api("DELETE", `/v1/grid/responsibilities?staff_id=${head.staff_id}&unit_code=${head.unit_code}&kind=${head.kind}`);
  await page.goto(`${fixture.gateway}/#/cases`);
  await page.waitForSelector('[data-test="desk-table"]');

  // The website's case: new, accepted at the desk (the person becomes its
  // first responder), then routed.
  await page.locator('[data-test="desk-tab-received"]').click();
  await page.waitForSelector(`[data-test="desk-case-${received.id}"]`);
  check(await text(page, `desk-status-${received.id}`) === "待受理", "new: the website's case awaits acceptance");
  await page.goto(`${fixture.gateway}/#/cases/${received.id}`);
  await page.waitForSelector('[data-test="step-accept"]');
  await step(page, "accept");
  now = await checkCase(page, received.id, "accepted at the desk");
  check(now.first_responder_id === community.staff_id && now.status !== "CASE_STATUS_RECEIVED" && now.registration_number,
        `accepted: registered ${now.registration_number}, its first responder the person who accepted it`);
  const notes = await page.locator('[data-test="history-note"]').allInnerTexts();
  check(notes.includes("收到（网站），待受理") && notes.some(n => n.startsWith("受理登记")),
        `the history's notes intake wrote read in Chinese: ${notes.join(" / ")}`);

  // The registered case: start, resolve (refused empty), close with the satisfaction.
  await page.goto(`${fixture.gateway}/#/cases/${fresh.id}`);
  await page.waitForSelector('[data-test="step-start"]');
  now = await checkCase(page, fresh.id, "registered");
  check(now.assignee && (await text(page, "case-assignee")).startsWith(now.assignee.name), `routed to ${now.assignee.name}`);
  await step(page, "start");
  await page.locator('[data-test="step-resolve"]').click();
  await page.locator('[data-test="step-submit"]').click();
  await page.waitForSelector('[data-test="step-form-resolve"] .el-form-item__error');
  check(await page.locator('[data-test="step-form-resolve"] .el-form-item__error').innerText() === "必填",
        "an empty resolution refused beside the field: 必填");
  await page.locator(field("step-resolution")).fill("已上门调解，双方达成一致");
  await page.locator('[data-test="step-submit"]').click();
  await page.waitForSelector('[data-test="step-close"]');
  await step(page, "close", () => page.locator('[data-test="step-satisfaction-4"]').click());
  now = await checkCase(page, fresh.id, "closed");
  check(now.satisfaction === 4 && now.resolution === "已上门调解，双方达成一致"
        && await text(page, "case-satisfaction") === "4 满意" && await text(page, "case-resolution") === now.resolution,
        "closed with satisfaction 4 and the resolution, as shown");
  await screenshot(page, "cases-closed");

  // The meal delivery: dispatched to a contracted business.
  await page.goto(`${fixture.gateway}/#/cases/${meal.id}`);
  await page.waitForSelector('[data-test="step-dispatch"]');
  await step(page, "dispatch", async () => {
    await page.locator('[data-test="step-provider-business"]').click();
    await page.locator(field("step-provider-name")).fill("社区长者食堂");
  });
  now = await checkCase(page, meal.id, "dispatched");
  check(now.dispatch.provider_name === "社区长者食堂" && now.dispatch.provider_kind === "CASE_PROVIDER_KIND_BUSINESS"
        && (await text(page, "case-dispatch")).endsWith("社区长者食堂"), `dispatched: ${await text(page, "case-dispatch")}`);

  // The overdue case: transferred.
  await page.goto(`${fixture.gateway}/#/cases/${old.id}`);
  await page.waitForSelector('[data-test="step-transfer"]');
  await step(page, "transfer", async () => {
    await page.locator(field("step-transferred-to")).fill("区供电公司");
    await page.locator(field("step-reason")).fill("属供电线路问题");
  });
  now = await checkCase(page, old.id, "transferred");
  check(now.transferred_to === "区供电公司" && await text(page, "case-transferred-to") === "区供电公司", "transferred as shown");
  checkNoErrors(page, "the community's desk");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "community_staff");
  await phone.goto(`${fixture.gateway}/#/cases?queue=accepted`);
  await phone.waitForSelector(`[data-test="desk-case-${departmental.id}"]`);
  await phone.waitForTimeout(400);  // the table's loading mask fades out
  await checkNoOverflow(phone, "the desk at 375 px");
  await screenshot(phone, "cases-desk-phone");
  await phone.goto(`${fixture.gateway}/#/cases/${fresh.id}`);
  await phone.waitForSelector('[data-test="case-history"]');
  await checkNoOverflow(phone, "a case at 375 px");
  await screenshot(phone, "cases-case-phone");
  checkNoErrors(phone, "the desk on a phone");

  // The department's staff: their department's cases.
  const dept = await newPage(browser);
  await logIn(dept, "department_staff");
  await dept.goto(`${fixture.gateway}/#/cases?queue=accepted`);
  await dept.waitForSelector(`[data-test="desk-case-${departmental.id}"]`);
  check((await text(dept, "desk-scope")).includes("本部门"), "a department's staff: their department's cases");
  check(await text(dept, `desk-status-${departmental.id}`) === STATUS[(await getCase(departmental.id)).status],
        "a department's staff: the case's status");
  checkNoErrors(dept, "the department's desk");

  // A leader: no desk; intake refuses their step.
  const leader = await newPage(browser);
  await logIn(leader, "leader");
  check(await leader.locator('[data-test="nav-cases"]').count() === 0, "a leader has no desk in the menu");
  await leader.goto(`${fixture.gateway}/#/cases`);
  await leader.waitForSelector(".home");
  check(!leader.url().includes("/cases"), "a leader sent to /cases lands on the home page");
  const refused = await leader.evaluate(async id => {
    const session = await (await fetch("/v1/session")).json();
    const reply = await fetch(`/v1/intake/cases/${id}/accept`, { method: "POST", body: JSON.stringify({ ref: { id } }),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf_token } });
    return [reply.status, (await reply.json()).error.status];
  }, departmental.id);
  check(refused[0] === 403 && refused[1] === "PERMISSION_DENIED", `intake refuses a leader's step: ${refused.join(" ")}`);
  checkNoErrors(leader, "the leader's pages");
});
