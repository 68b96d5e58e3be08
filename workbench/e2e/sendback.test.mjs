// The buttons of the work-order rules and the follow-through that a case
// reaches only after other people's steps, pressed on real cases through
// the gateway and the daemons, each compared with intake afterwards:
// - 退单: the community's staff send a case back, with a reason (refused
//   without one), within the window after its assignment (a case assigned
//   days ago is refused, and the page says why); the station routes it
//   again; a second send-back makes it a no-owner case (无头事项) that waits
//   on the street; the community has no step on it and intake refuses its
//   assignment; the street's staff assign it by decision to a named
//   handler, after which it is not sent back again;
// - 提级督办: the street's staff supervise an overdue case (督办) and refer it
//   up, the ladder's top step;
// - rework: a return visit of 2 reopens a case for rework, and after it is
//   closed the resident's complaint (居民投诉) reopens it again; done again,
//   a second return visit closes it. The community's inbox says each in
//   Chinese.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const text = async (page, test) => (await page.locator(`[data-test="${test}"]`).first().innerText()).trim();
const getCase = id => api("GET", `/v1/intake/cases/${id}`);
const historyOf = id => api("GET", `/v1/intake/cases/${id}/history`);
const inboxOf = page => page.evaluate(async () => (await fetch("/v1/intake/notices?page_size=100")).json());
function submission(household, item, extra = {}) {
  return { channel: "CASE_CHANNEL_HOTLINE", item_code: item, description: `e2e 退单 ${item} ${household}`,
    requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: household, name: "住户", phone: "13941000444" },
    ...extra };
}

async function openCase(page, id) {
  await page.goto(`${fixture.gateway}/#/cases/${id}`);
  await page.reload();
  await page.waitForSelector('[data-test="orders-card"]');
}

// The case page once it shows the case at intake's version (its history as long as intake's).
async function caught(page, id) {
  const h = await historyOf(id);
  await page.waitForFunction(n => document.querySelectorAll('[data-test="history-action"]').length === n,
    h.transitions.length, { timeout: 10000 });
  return h;
}

async function ordersStep(page, name, fill = async () => {}) {
  await page.locator(`[data-test="orders-step-${name}"]`).click();
  await page.waitForSelector(`[data-test="orders-form-${name}"]`);
  await fill();
  await page.locator('[data-test="orders-submit"]').click();
}

async function step(page, name, fill = async () => {}) {
  await page.locator(`[data-test="step-${name}"]`).click();
  await page.waitForSelector(`[data-test="step-form-${name}"]`);
  await fill();
  await page.locator('[data-test="step-submit"]').click();
  await page.waitForSelector('[data-test="step-done"]');
}

async function followStep(page, name, note) {
  await page.locator(`[data-test="follow-${name}"]`).click();
  await page.waitForSelector(`[data-test="follow-form-${name}"]`);
  await page.locator(field("follow-note")).fill(note);
  await page.locator('[data-test="follow-submit"]').click();
  await page.waitForSelector('[data-test="follow-done"]');
}

const steps = async (page, prefix) => (await page.locator(`[data-test^="${prefix}"]`).evaluateAll(
  (nodes, p) => nodes.map(n => n.getAttribute("data-test").slice(p.length)), prefix));

await run(async browser => {
  const communityPerson = fixture.people.community_staff;
  const community = await newPage(browser);
  await logIn(community, "community_staff");

  // --- 退单 ---------------------------------------------------------------
  // A dispute, registered at the hotline and routed at once.
  const disputed = await api("POST", "/v1/intake/cases", submission(d.households[0][0], "dispute-mediation"));
  check(disputed.status === "CASE_STATUS_ASSIGNED" && !disputed.send_backs,
        `seeded: ${disputed.registration_number} assigned to ${disputed.assignee.name}`);
  await openCase(community, disputed.id);
  check(JSON.stringify(await steps(community, "orders-step-")) === JSON.stringify(["sign", "sendBack", "extensionAsk", "cohandlerAdd"]),
        "an assigned case offers 签收, 退单, 延期, 协办");
  // Without a reason: refused beside the field, nothing written.
  await ordersStep(community, "sendBack");
  await community.waitForSelector('[data-test="orders-form-sendBack"] .el-form-item__error');
  check(await text(community, "orders-form-sendBack") !== "" &&
        (await community.locator('[data-test="orders-form-sendBack"] .el-form-item__error').innerText()).trim() === "必填"
        && (await getCase(disputed.id)).version === disputed.version,
        "退单 without a reason is refused beside the field (必填); intake wrote nothing");
  await community.locator(field("orders-reason")).fill("经核实属物业管理范围，不属于本社区调解");
  await community.locator('[data-test="orders-submit"]').click();
  await community.waitForSelector('[data-test="orders-done"]');
  let now = await getCase(disputed.id);
  let h = await caught(community, disputed.id);
  let last = h.transitions[h.transitions.length - 1];
  check(now.status === "CASE_STATUS_ACCEPTED" && now.send_backs === 1 && !now.no_owner && !now.assignee
        && now.waiting_on.route === "dispatcher" && now.waiting_on.code === d.communities[0]
        && last.action === "CASE_ACTION_SENT_BACK" && last.note === "经核实属物业管理范围，不属于本社区调解"
        && last.actor_id === communityPerson.staff_id,
        `sent back once: accepted and unassigned, waiting on the station ${now.waiting_on.code} to route it again`);
  check(await text(community, "case-status") === "已受理" && await text(community, "orders-send-backs") === "1"
        && (await text(community, "orders-waiting")).includes("派单")
        && (await community.locator('[data-test="history-action"]').first().innerText()).trim() === "退单"
        && (await community.locator('[data-test="history-note"]').first().innerText()).trim() === last.note,
        "the page: 已受理, 退单次数 1, waiting on the dispatcher, the history's 退单 with its reason");
  await screenshot(community, "sendback-once");

  // The station routes it again (by the item and the zone), and its handler
  // sends it back a second time: a no-owner case for the street.
  await step(community, "assign");
  now = await getCase(disputed.id);
  check(now.status === "CASE_STATUS_ASSIGNED" && now.assignee && now.stages.assignment === 2,
        `routed again to ${now.assignee.name} (assignment ${now.stages.assignment})`);
  await caught(community, disputed.id);
  await ordersStep(community, "sendBack", async () => {
    await community.locator(field("orders-reason")).fill("涉及两个小区的公共设施，权属不清");
  });
  await community.waitForSelector('[data-test="orders-done"]');
  now = await getCase(disputed.id);
  h = await caught(community, disputed.id);
  last = h.transitions[h.transitions.length - 1];
  check(now.status === "CASE_STATUS_ACCEPTED" && now.send_backs === 2 && now.no_owner
        && now.waiting_on.route === "decides the owner" && now.waiting_on.code === d.streets[0]
        && last.note.startsWith("涉及两个小区的公共设施，权属不清; sent back 2 times: a no-owner case (无头事项)"),
        `sent back twice: a no-owner case waiting on street ${now.waiting_on.code} to decide`);
  const noteShown = (await community.locator('[data-test="history-note"]').first().innerText()).trim();
  check(await text(community, "case-no-owner") === "无头事项" && /^2\s*无头事项$/.test(await text(community, "orders-send-backs"))
        && (await text(community, "orders-waiting")).includes("无头事项，研究决定交办")
        && noteShown.startsWith("涉及两个小区的公共设施，权属不清；已退单 2 次，列为无头事项，由 ")
        && await community.locator('[data-test="case-no-steps"]').count() === 1
        && (await steps(community, "orders-step-")).length === 0,
        `the community's page: 无头事项, waiting on the street, no step of theirs (${noteShown})`);
  // Intake refuses the community's assignment of it.
  const refused = await community.evaluate(async ([id, code]) => {
    const session = await (await fetch("/v1/session")).json();
    const reply = await fetch(`/v1/intake/cases/${id}/assign`, { method: "POST",
      body: JSON.stringify({ ref: { id }, assignee: { kind: "ASSIGNEE_KIND_UNIT", code } }),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf_token } });
    return [reply.status, (await reply.json()).error.status];
  }, [disputed.id, d.communities[0]]);
  check(refused[0] === 403 && refused[1] === "PERMISSION_DENIED", `intake refuses the community's assignment: ${refused.join(" ")}`);
  await screenshot(community, "sendback-no-owner");

  // The street decides: the community's station handles it.
  const street = await newPage(browser);
  await logIn(street, "street_staff");
  await openCase(street, disputed.id);
  check(JSON.stringify(await steps(street, "step-")).startsWith('["assign"'), "the street's page offers 派给承办 first");
  await street.locator('[data-test="step-assign"]').click();
  await street.waitForSelector('[data-test="step-no-owner"]');
  // Without a handler: intake wants one named.
  await street.locator('[data-test="step-submit"]').click();
  await street.waitForSelector('[data-test="step-form-assign"] [data-test="error"], [data-test="step-form-assign"] .el-form-item__error');
  check((await getCase(disputed.id)).version === now.version, "a decision naming no handler is refused; intake wrote nothing");
  await street.locator('[data-test="step-assignee-kind"]').click();
  await street.locator(".el-select-dropdown__item:visible", { hasText: "社区/单位" }).click();
  await street.locator(field("step-assignee-code")).fill(d.communities[0]);
  await street.locator(field("step-note")).fill("经街道研究，由社区牵头会同两个小区物业处理");
  await street.locator('[data-test="step-submit"]').click();
  await street.waitForSelector('[data-test="step-done"]');
  now = await getCase(disputed.id);
  h = await caught(street, disputed.id);
  last = h.transitions[h.transitions.length - 1];
  check(now.status === "CASE_STATUS_ASSIGNED" && now.no_owner && now.assignee.kind === "ASSIGNEE_KIND_UNIT"
        && now.assignee.code === d.communities[0] && now.assignee.route === "assigned by decision (no-owner case)"
        && last.action === "CASE_ACTION_ASSIGNED" && last.actor_id === fixture.people.street_staff.staff_id
        && last.note === "经街道研究，由社区牵头会同两个小区物业处理",
        `the street assigned it by decision to ${now.assignee.name} (${now.assignee.route})`);
  check((await text(street, "case-assignee")).startsWith(now.assignee.name) && await text(street, "case-status") === "已派单"
        && (await street.locator('[data-test="history-action"]').first().innerText()).trim() === "派给承办",
        "the street's page: assigned to the station, 派给承办 in the history");
  await screenshot(street, "sendback-decided");
  await openCase(community, disputed.id);
  check(!(await steps(community, "orders-step-")).includes("sendBack"), "assigned by decision: no 退单 offered again");

  // A case assigned days ago: past the window, refused, and the page says why.
  const old = await api("POST", "/v1/intake/cases", submission(d.households[0][1], "dispute-mediation",
    { channel: "CASE_CHANNEL_WINDOW", imported: { at_unix_ms: Date.now() - 3 * 86400000, actor_id: communityPerson.staff_id } }));
  // Three days: past the window (120 working minutes, even from a Friday
  // evening), not yet past its due time (so the sweep does not move it).
  check(old.status === "CASE_STATUS_ASSIGNED", `seeded: ${old.registration_number} assigned three days ago`);
  await openCase(community, old.id);
  await ordersStep(community, "sendBack", async () => {
    await community.locator(field("orders-reason")).fill("不属于本社区");
  });
  await community.waitForSelector('[data-test="orders-send-back-late"]');
  const late = await text(community, "orders-send-back-late");
  const window = await community.evaluate(async id => {
    const session = await (await fetch("/v1/session")).json();
    const reply = await fetch(`/v1/intake/cases/${id}/send-back`, { method: "POST",
      body: JSON.stringify({ ref: { id }, reason: "不属于本社区" }),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf_token } });
    return (await reply.json()).error;
  }, old.id);
  const minutes = window.message.match(/within (\d+) working minutes/)[1];
  check(window.status === "FAILED_PRECONDITION" && late.includes(`派单后 ${minutes} 个工作分钟内`)
        && (await getCase(old.id)).send_backs === 0,
        `too late to send back (intake: ${window.message}); the page: ${late}`);
  await screenshot(community, "sendback-too-late");
  checkNoErrors(community, "the community's case pages");

  // --- 提级督办 --------------------------------------------------------------
  const overdue = await api("POST", "/v1/intake/cases", submission(d.households[0][2], "elderly-allowance",
    { channel: "CASE_CHANNEL_WINDOW", imported: { at_unix_ms: Date.now() - 40 * 86400000, actor_id: communityPerson.staff_id } }));
  await api("POST", "/v1/intake/sweep", {});
  check((await getCase(overdue.id)).overdue, `seeded: ${overdue.registration_number} overdue`);
  await openCase(street, overdue.id);
  await street.waitForSelector('[data-test="follow-supervise"]');
  check(await street.locator('[data-test="follow-referUp"]').count() === 0, "提级督办 is not offered before 督办");
  await followStep(street, "supervise", "超期未办结，限三日内办结");
  await street.waitForSelector('[data-test="follow-referUp"]');
  await followStep(street, "referUp", "督办后仍未办结，提请区级督办");
  now = await getCase(overdue.id);
  h = await caught(street, overdue.id);
  last = h.transitions[h.transitions.length - 1];
  check(now.supervision_level === 3 && now.referred_to && last.action === "CASE_ACTION_REFERRED_UP"
        && last.note === "督办后仍未办结，提请区级督办" && last.actor_id === fixture.people.street_staff.staff_id,
        `referred up (level ${now.supervision_level}) to ${now.referred_to}`);
  await street.waitForFunction(() => document.querySelector('[data-test="follow-supervision"]')?.innerText.includes("已提级督办"));
  check((await text(street, "follow-supervision")) === `已提级督办 提级至 ${now.referred_to}`
        && (await street.locator('[data-test="history-action"]').first().innerText()).trim() === "提级督办"
        && await street.locator('[data-test="follow-referUp"]').count() === 0,
        `the page: 已提级督办 提级至 ${now.referred_to}, 提级督办 in the history, not offered again`);
  await screenshot(street, "sendback-referred-up");
  checkNoErrors(street, "the street's case pages");

  // --- rework: the return visit, then the resident's complaint ------------------
  const redo = await api("POST", "/v1/intake/cases", submission(d.households[0][3], "dispute-mediation"));
  await api("POST", `/v1/intake/cases/${redo.id}/resolve`, { ref: { id: redo.id }, resolution: "已调解" });
  await openCase(community, redo.id);
  await community.locator('[data-test="step-close"]').click();
  await community.locator('[data-test="step-satisfaction-2"]').click();
  await community.locator(field("step-note")).fill("居民认为调解结果不公平");
  await community.locator('[data-test="step-submit"]').click();
  await community.waitForSelector('[data-test="step-done"]');
  now = await getCase(redo.id);
  await caught(community, redo.id);
  check(now.status === "CASE_STATUS_IN_PROGRESS" && now.rework_count === 1 && now.satisfaction === 2 && !now.resolution
        && await text(community, "follow-rework") === "1" && await text(community, "case-status") === "办理中"
        && (await community.locator('[data-test="history-action"]').first().innerText()).trim() === "回访不满意，重新办理",
        "a return visit of 2 reopens it for rework: 办理中, reworked once, as shown");
  await step(community, "resolve", () => community.locator(field("step-resolution")).fill("重新调解，双方签订协议"));
  await step(community, "close", () => community.locator('[data-test="step-satisfaction-4"]').click());
  now = await getCase(redo.id);
  check(now.status === "CASE_STATUS_CLOSED" && now.satisfaction === 4, "done again, closed at a second return visit");
  await caught(community, redo.id);
  await followStep(community, "complain", "居民来电投诉：协议未履行，噪音依旧");
  now = await getCase(redo.id);
  h = await caught(community, redo.id);
  last = h.transitions[h.transitions.length - 1];
  check(now.status === "CASE_STATUS_IN_PROGRESS" && now.complaint_count === 1 && now.rework_count === 2
        && last.action === "CASE_ACTION_COMPLAINED" && last.note === "居民来电投诉：协议未履行，噪音依旧",
        `the complaint reopens it (complaints ${now.complaint_count}, reworked ${now.rework_count})`);
  check(await text(community, "follow-complaints") === "1" && await text(community, "follow-rework") === "2"
        && await text(community, "case-status") === "办理中"
        && (await community.locator('[data-test="history-action"]').first().innerText()).trim() === "居民投诉，重新办理",
        "the page: 投诉次数 1, 返工次数 2, 办理中, 居民投诉，重新办理");
  await screenshot(community, "sendback-complained");
  await step(community, "resolve", () => community.locator(field("step-resolution")).fill("督促履行协议，已复查"));
  await step(community, "close", () => community.locator('[data-test="step-satisfaction-5"]').click());
  now = await getCase(redo.id);
  h = await historyOf(redo.id);
  check(now.status === "CASE_STATUS_CLOSED" && now.satisfaction === 5 && Number(now.version) === h.transitions.length
        && h.transitions.filter(t => t.action === "CASE_ACTION_CLOSED").length === 2,
        `closed after the rework (${h.transitions.length} steps; two return visits closed it, one reopened it)`);
  checkNoErrors(community, "the rework's pages");

  // The community's inbox says each in Chinese: the step, the item, the note.
  const inbox = await inboxOf(community);
  const told = inbox.notices.filter(n => [disputed.id, overdue.id].includes(n.case_id));
  check(told.some(n => n.case_id === overdue.id && n.action === "CASE_ACTION_REFERRED_UP")
        && told.some(n => n.case_id === disputed.id && n.action === "CASE_ACTION_ASSIGNED"),
        `intake told her of the referral and the decision: ${told.map(n => n.kind).join(", ")}`);
  await community.goto(`${fixture.gateway}/#/notices`);
  await community.waitForSelector('[data-test="notices-list"] li');
  const referral = told.find(n => n.case_id === overdue.id && n.action === "CASE_ACTION_REFERRED_UP");
  const line = await text(community, `notice-text-${referral.id}`);
  check(line === `${overdue.registration_number} 提级督办：高龄津贴申领 — 督办后仍未办结，提请区级督办`
        && referral.text.includes("督办后仍未办结，提请区级督办") && !/[A-Za-z]{4,}/.test(line),
        `the inbox in Chinese: ${line} (intake's text: ${referral.text})`);
  await screenshot(community, "sendback-inbox");
  await checkNoOverflow(community, "the inbox");
  checkNoErrors(community, "the inbox");
});
