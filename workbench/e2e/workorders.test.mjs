// The work-order rules on the case page (docs/work-orders.md), one whole
// path as the people who take each step: a complaint held by the
// community's station is signed for (签收) by its staff, who ask the street
// for an extension (延期) and the street office to co-handle a part (协办);
// the lead may not resolve it while the task is open; the street's staff
// approve the extension (the resident told) and complete the task; the
// community resolves it; the reply waits for review (审核) and the street's
// staff sign it (the writer is not offered the step and reads whom it
// waits on); the community closes it after the return visit. At the
// window, a question is registered as a consultation and answered on the
// spot (直接答复): closed at once. Every step lands in intake as the page
// shows it.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const text = async (page, test) => (await page.locator(`[data-test="${test}"]`).first().innerText()).trim();
const getCase = id => api("GET", `/v1/intake/cases/${id}`);

async function ordersStep(page, name, fill = async () => {}) {
  await page.locator(`[data-test="orders-step-${name}"]`).click();
  await page.waitForSelector(`[data-test="orders-form-${name}"]`);
  await fill();
  await page.locator('[data-test="orders-submit"]').click();
  await page.waitForSelector('[data-test="orders-done"]');
}

async function openCase(page, id) {
  await page.goto(`${fixture.gateway}/#/cases/${id}`);
  await page.reload();
  await page.waitForSelector('[data-test="orders-card"]');
}

await run(async browser => {
  // A complaint registered at the station, held by the community's station.
  const complaint = await api("POST", "/v1/intake/cases", {
    channel: "CASE_CHANNEL_HOTLINE", item_code: "dispute-mediation", case_type: "CASE_TYPE_COMPLAINT",
    description: "e2e 投诉：楼上装修噪音扰民", requester: { kind: "REQUESTER_KIND_RESIDENT",
      household_code: d.households[0][1], name: "住户", phone: "13941000222" } });
  await api("POST", `/v1/intake/cases/${complaint.id}/assign`, { ref: { id: complaint.id },
    assignee: { kind: "ASSIGNEE_KIND_UNIT", code: d.communities[0] } });
  let now = await getCase(complaint.id);
  check(now.case_type === "CASE_TYPE_COMPLAINT" && now.assignee.code === d.communities[0] && now.stages
        && Number(now.stages.receipt_due_unix_ms) > 0, `seeded: a complaint held by ${d.communities[0]}, due to be signed for`);

  const community = await newPage(browser);
  await logIn(community, "community_staff");
  await openCase(community, complaint.id);
  check(await text(community, "orders-type") === "投诉", "the case's type: 投诉");
  check((await text(community, "orders-waiting")).includes("承办"), "who must act: the station, as 承办");
  await ordersStep(community, "sign");
  now = await getCase(complaint.id);
  check(Number(now.stages.signed_unix_ms) > 0 && !now.stages.receipt_late, "signed for in time (签收)");

  // More time, asked of the street before the deadline.
  await ordersStep(community, "extensionAsk", async () => {
    await community.locator(field("orders-reason")).fill("需协调物业和业主委员会共同调查");
  });
  now = await getCase(complaint.id);
  check(now.extension && now.extension.state === "CASE_EXTENSION_STATE_PENDING" && now.extension.working_days === 5
        && now.extension.approver_unit === d.streets[0] && now.waiting_on.route === "approver",
        `an extension of 5 working days awaits ${now.extension && now.extension.approver_unit}`);
  await community.waitForFunction(() => document.querySelector('[data-test="orders-extension"]')?.innerText.includes("待审批"));
  // A part for the street office (协办).
  await ordersStep(community, "cohandlerAdd", async () => {
    await community.locator(field("orders-co-code")).fill(d.streets[0]);
    await community.locator(field("orders-task")).fill("街道城管中队现场核实装修时间");
    await community.locator('[data-test="orders-working-days"] input').fill("2");
  });
  now = await getCase(complaint.id);
  check(now.cohandler_tasks === 1 && now.cohandler_tasks_open === 1, "a co-handler's task, open");
  await community.waitForSelector('[data-test="orders-task-1"]');
  await screenshot(community, "workorders-asked");
  // The lead may not resolve while the task is open.
  await community.locator('[data-test="step-resolve"]').click();
  await community.locator(field("step-resolution")).fill("已协调双方，限定装修时段");
  await community.locator('[data-test="step-submit"]').click();
  await community.waitForSelector('[data-test="step-form-resolve"] [data-test="error"]');
  now = await getCase(complaint.id);
  check(now.status === "CASE_STATUS_ASSIGNED"
        && (await text(community, "step-form-resolve")).includes("当前状态下不能进行此操作")
        && (await text(community, "orders-open-tasks")).includes("1 项协办任务未完成"),
        "resolving with a co-handler's task open is refused; the card says why");
  checkNoErrors(community, "community's case page");

  // The street: approves the extension, completes its task.
  const street = await newPage(browser);
  await logIn(street, "street_staff");
  await openCase(street, complaint.id);
  const dueBefore = Number(now.due_unix_ms);
  await ordersStep(street, "extensionDecide", async () => {
    await street.locator('[data-test="orders-approve"]').click();
  });
  now = await getCase(complaint.id);
  const history = await api("GET", `/v1/intake/cases/${complaint.id}/history`);
  const actions = history.transitions.map(t => t.action);
  check(now.extension.state === "CASE_EXTENSION_STATE_APPROVED" && Number(now.due_unix_ms) > dueBefore
        && actions.slice(-2).join() === "CASE_ACTION_EXTENSION_APPROVED,CASE_ACTION_RESIDENT_NOTIFIED",
        "the street approves the extension: the due time moves, the resident is told");
  await street.waitForSelector('[data-test="history-action"]');
  check((await street.locator('[data-test="history-action"]').allInnerTexts()).slice(0, 2).join() === "已告知诉求人,批准延期",
        "the history shows the approval and the resident told");
  await street.locator('[data-test="orders-task-complete-1"]').click();
  await street.locator(field("orders-task-reply-input")).fill("已现场核实，装修时段已告知施工方");
  await street.locator('[data-test="orders-task-submit"]').click();
  await street.waitForSelector('[data-test="orders-done"]');
  now = await getCase(complaint.id);
  check(now.cohandler_tasks_open === 0, "the street's task completed");

  // The community resolves it; the reply waits for the street's review.
  await openCase(community, complaint.id);
  await community.locator('[data-test="step-resolve"]').click();
  await community.locator(field("step-resolution")).fill("已协调双方，限定装修时段为工作日9-12时、14-18时");
  await community.locator('[data-test="step-submit"]').click();
  await community.waitForSelector('[data-test="step-done"]');
  now = await getCase(complaint.id);
  check(now.status === "CASE_STATUS_RESOLVED" && now.review && now.review.state === "CASE_REVIEW_STATE_PENDING"
        && now.waiting_on.route === "reviewer", "resolved: the reply awaits the reviewer (审核)");
  // The case says whom the review waits on (intake's rule, at read time):
  // the writer is not offered the step and is told whom it waits on.
  const expected = now.review.expected_reviewer;
  const expectedName = expected ? expected.name || expected.code : "";
  check(!!expectedName && expected.route === "reviewer",
        `the case names its expected reviewer: ${expectedName} (${expected && expected.kind})`);
  await openCase(community, complaint.id);
  await community.waitForSelector('[data-test="orders-review-waiting"]');
  check(await community.locator('[data-test="orders-step-review"]').count() === 0
        && await text(community, "orders-review-waiting") === `待 ${expectedName} 审核`,
        `the writer is not offered 审核 and reads: ${await text(community, "orders-review-waiting")}`);
  await screenshot(community, "workorders-review-waiting");
  await openCase(street, complaint.id);
  check(await street.locator('[data-test="orders-review-waiting"]').count() === 0, "the street's staff may sign: no waiting line");
  await ordersStep(street, "review", async () => {
    await street.locator('[data-test="orders-approve"]').click();
    await street.locator(field("orders-note")).fill("答复具体，同意回访");
  });
  now = await getCase(complaint.id);
  check(now.review.state === "CASE_REVIEW_STATE_APPROVED" && now.waiting_on.route === "return visit",
        "the street's staff sign the reply; the return visit is next");
  await street.waitForFunction(() => document.querySelector('[data-test="orders-review"]')?.innerText.includes("审核通过"));
  await screenshot(street, "workorders-reviewed");
  await checkNoOverflow(street, "the case page with its rules");
  checkNoErrors(street, "street's case page");

  // The return visit closes it.
  await openCase(community, complaint.id);
  await community.locator('[data-test="step-close"]').click();
  await community.locator('[data-test="step-satisfaction-5"]').click();
  await community.locator('[data-test="step-submit"]').click();
  await community.waitForSelector('[data-test="step-done"]');
  now = await getCase(complaint.id);
  const steps = (await api("GET", `/v1/intake/cases/${complaint.id}/history`)).transitions.length;
  check(now.status === "CASE_STATUS_CLOSED" && Number(now.version) === steps,
        `closed after the return visit; ${steps} steps, the version ${now.version}`);
  await screenshot(community, "workorders-closed");
  // At the window: a question answered on the spot (直接答复), registered as a
  // consultation and closed at once.
  const clerk = await newPage(browser);
  const clerkPerson = await logIn(clerk, "window_clerk");
  await clerk.locator('[data-test="nav-clerk"]').click();
  await clerk.waitForSelector('[data-test="clerk-form"]');
  const resident = await api("POST", "/v1/grid/residents:find", { id_number: d.id_numbers[0][2] });
  await clerk.locator('[data-test="clerk-by-id"]').click();
  await clerk.locator(field("clerk-search")).fill(d.id_numbers[0][2]);
  await clerk.locator('[data-test="clerk-find"]').click();
  await clerk.waitForSelector(`[data-test="clerk-resident-${resident.id}"]`);
  await clerk.locator('[data-test="clerk-item"]').click();
  await clerk.locator(".el-select-dropdown__item", { hasText: "政策咨询" }).click();
  await clerk.locator(field("clerk-phone")).fill("13941000333");
  await clerk.locator(field("clerk-description")).fill("e2e 咨询：社保卡补办地点");
  await clerk.locator('[data-test="clerk-case-type-CASE_TYPE_CONSULTATION"]').click();
  await clerk.locator(field("clerk-direct-answer")).fill("区政务服务中心二楼，带身份证当场补办");
  await clerk.locator('[data-test="clerk-submit"]').click();
  await clerk.waitForSelector('[data-test="clerk-receipt"]');
  const answered = await api("GET", `/v1/intake/case-numbers/${encodeURIComponent(await text(clerk, "receipt-number"))}`);
  check(answered.status === "CASE_STATUS_CLOSED" && answered.direct_answer && answered.case_type === "CASE_TYPE_CONSULTATION"
        && answered.resolution === "区政务服务中心二楼，带身份证当场补办" && answered.first_responder_id === clerkPerson.staff_id
        && await text(clerk, "receipt-status") === "已办结" && await text(clerk, "receipt-answer") === answered.resolution,
        `answered on the spot at the window: a consultation closed at registration (${answered.registration_number})`);
  await screenshot(clerk, "workorders-direct-answer");
  checkNoErrors(clerk, "the window's registration");

  const phone = await newPage(browser, { width: 390, height: 844 });
  await logIn(phone, "community_staff");
  await openCase(phone, complaint.id);
  await checkNoOverflow(phone, "the case page on a phone");
  await screenshot(phone, "workorders-phone");
});
