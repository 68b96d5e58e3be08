// Frontline work (一线工作): with a contact point given to the leader and
// civil affairs paired with the first community through the admin API, the
// leader sees the point with its counts as the service gives them, records
// a visit (asked first for what was found) with two problems, marks one
// solved (asked first how) and hands the other to an intake case by the
// 登记编号 on the receipt (asked first for it; a number intake does not
// know refused in Chinese, nothing written; a real case's looked up and its
// id and number kept, its state in intake shown in the list), each read
// back from the service; the department's
// staff see their paired community counted, record a resource given and
// follow up a problem taken on, read back the same way. English on request,
// a phone's width, and a role without the duty gets no menu entry.
// Screenshots at 1366x768 and 375 px.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const community = d.communities[0];
const leader = fixture.people.leader;
const departmentStaff = fixture.people.department_staff;
const department = departmentStaff.department;
const tag = String(Date.now()).slice(-6);

// What the page starts from: the leader's contact point, the pairing (both
// may be there from an earlier run), and a problem the department took on.
async function made(body) {
  try {
    return await body();
  } catch (error) {
    if (!/\b409\b|ALREADY_EXISTS/.test(String(error))) throw error;
    return null;
  }
}
await made(() => api("POST", "/v1/grid/responsibilities", {
  staff_id: leader.staff_id, unit_code: community, kind: "RESPONSIBILITY_KIND_LEADER_CONTACT",
}));
await made(() => api("POST", "/v1/grid/pairings", { department_code: department, community_code: community }));
const takenOn = await api("POST", "/v1/grid/department-work", {
  department_code: department, community_code: community, kind: "DEPARTMENT_WORK_KIND_PROBLEM",
  staff_id: departmentStaff.staff_id, content: `社区活动室漏雨${tag}`,
});
const unitName = (await api("GET", `/v1/grid/units/${community}`)).name;
// A household visit by the department's staff (走千人访千户), which volunteer
// keeps; retried until volunteer knows grid's staff and household.
for (let i = 0; ; i++) {
  try {
    await api("POST", "/v1/volunteer/visits", { staff_id: departmentStaff.staff_id, household_code: d.households[0][2],
      kind: "CONTACT_KIND_VISIT", note: `入户走访${tag}` });
    break;
  } catch (error) {
    if (i >= 40) throw error;
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

const rowOf = (page, table, text) => page.locator(`[data-test="${table}"] .el-table__body tr`, { hasText: text });
const errorIn = async (page, form) => (await page.locator(`[data-test="${form}"] .el-form-item__error`).first().innerText()).trim();

await run(async browser => {
  // --- the leader ---------------------------------------------------------------
  const page = await newPage(browser);
  await logIn(page, "leader");
  check(await page.locator('[data-test="nav-frontline"]').count() === 1, "the leader's menu has 一线工作");
  const home = await page.evaluate(() => document.body.textContent);
  check(home.includes("领导联系点走访") && !/\bfrontline\.[a-z]/.test(home), "the home page describes 一线工作 in words");
  await page.locator('[data-test="nav-frontline"]').click();
  await rowOf(page, "points", community).waitFor();
  const before = (await api("GET", `/v1/grid/contact-points?staff_id=${leader.staff_id}`)).points
    .find(p => p.unit_code === community);
  const pointCells = await rowOf(page, "points", community).locator("td").allInnerTexts();
  check(pointCells[0].includes(unitName) && pointCells[0].includes(`社区 ${community}`) && pointCells[1] === String(before.visits)
        && pointCells[3] === String(before.problems_open || 0),
        `the point ${unitName}: kind 社区, ${before.visits} visits, ${before.problems_open || 0} open as the service counts (${pointCells.join(" | ")})`);

  // A visit: what was found is asked for first, nothing written.
  await rowOf(page, "points", community).click();
  await page.waitForSelector('[data-test="visit-form"]');
  await page.locator(field("visit-people")).fill("楼组长王大爷、李阿姨");
  await page.locator(field("visit-problem-0")).fill(`3号楼楼道灯损坏${tag}`);
  await page.locator('[data-test="visit-add-problem"]').click();
  await page.locator(field("visit-problem-1")).fill(`助餐点离得太远${tag}`);
  await page.locator('[data-test="visit-submit"]').click();
  check(await errorIn(page, "visit-form") === "请填写了解到的情况", "a visit without what was found is asked for it");
  const none = (await api("GET", `/v1/grid/contact-visits?staff_id=${leader.staff_id}&point_code=${community}`)).visits || [];
  check(none.length === before.visits, "nothing was written");
  const findings = `走访一网格，听取居民意见${tag}`;
  await page.locator(field("visit-findings")).fill(findings);
  await page.locator('[data-test="visit-submit"]').click();
  await rowOf(page, "visits", findings).waitFor();
  const visits = (await api("GET", `/v1/grid/contact-visits?staff_id=${leader.staff_id}&point_code=${community}`)).visits;
  const recorded = visits.find(v => v.findings === findings);
  check(recorded && recorded.people_met === "楼组长王大爷、李阿姨" && recorded.place_code === community
        && recorded.problems.length === 2 && recorded.problems[0].description === `3号楼楼道灯损坏${tag}`
        && recorded.problems[1].status === "CONTACT_PROBLEM_STATUS_OPEN",
        `the service holds the visit ${recorded && recorded.id} as typed, with its two problems open`);
  const visitCells = await rowOf(page, "visits", findings).locator("td").allInnerTexts();
  check(visitCells[2] === recorded.people_met && visitCells[4].includes("待解决") && visitCells[4].includes(`助餐点离得太远${tag}`),
        `the visit log shows it: ${visitCells.join(" | ")}`);
  const after = (await api("GET", `/v1/grid/contact-points?staff_id=${leader.staff_id}`)).points.find(p => p.unit_code === community);
  await page.waitForFunction(([code, n]) => [...document.querySelectorAll('[data-test="points"] .el-table__body tr')]
    .some(tr => tr.innerText.includes(code) && tr.querySelectorAll("td")[1].innerText.trim() === n),
  [community, String(after.visits)]);
  check(after.visits === before.visits + 1, `the point now counts ${after.visits} visits, on screen too`);
  await screenshot(page, "frontline-points");

  // The problems: one solved (how is asked first), one handed to a case.
  const [solve, toCase] = recorded.problems;
  await page.locator(".el-tabs__item", { hasText: "联系点问题" }).click();
  await page.locator(`[data-test="solve-${solve.id}"]`).click();
  await page.locator('[data-test="problem-submit"]').click();
  check(await errorIn(page, "problem-dialog") === "请填写如何解决的", "solving without saying how is asked for it");
  await page.locator(field("problem-resolution")).fill("物业已更换楼道灯");
  await page.locator('[data-test="problem-submit"]').click();
  await rowOf(page, "problems", solve.id).waitFor({ state: "detached" });
  // Handed to a case by the 登记编号 on the resident's receipt: asked for
  // first; a number intake does not know (a made-up case) is refused on the
  // page and nothing is written; the real one is looked up in intake and
  // its id and number are what grid keeps.
  await page.locator(`[data-test="case-${toCase.id}"]`).click();
  await page.locator('[data-test="problem-submit"]').click();
  check(await errorIn(page, "problem-dialog") === "请填写回执上的登记编号", "a case without its number is asked for it");
  const unknown = `SF20201201-${tag.padStart(7, "9")}`;
  await page.locator(field("problem-case-registration")).fill(unknown.toLowerCase());
  await page.locator(field("problem-resolution")).fill("转社区为民服务中心受理");
  await page.locator('[data-test="problem-submit"]').click();
  // (The lookup is a round trip to intake: wait for its answer in place of the first message.)
  const refusal = `受理系统中没有登记编号为 ${unknown} 的工单，请核对回执`;
  await page.waitForFunction(text => document.querySelector('[data-test="problem-dialog"] .el-form-item__error')
    ?.innerText.trim() === text, refusal, { timeout: 10000 }).catch(() => {});
  const shown = await errorIn(page, "problem-dialog");
  check(shown === refusal, `a made-up case (${unknown}) is refused in Chinese: ${shown}`);
  const stillOpen = (await api("GET", `/v1/grid/contact-problems?staff_id=${leader.staff_id}`)).problems.find(p => p.id === toCase.id);
  check(stillOpen && stillOpen.status === "CONTACT_PROBLEM_STATUS_OPEN" && !Number(stillOpen.case_id)
        && stillOpen.version === toCase.version, `nothing was written: ${toCase.id} is open at version ${toCase.version}`);
  const realCase = await api("POST", "/v1/intake/cases", {
    channel: "CASE_CHANNEL_WEBSITE", item_code: "dispute-mediation", description: `联系点转来：助餐点离得太远${tag}`,
    requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: d.households[0][3], name: "住户", phone: "13941000111" },
  });
  await page.locator(field("problem-case-registration")).fill(` ${realCase.registration_number.toLowerCase()} `);
  await page.locator('[data-test="problem-submit"]').click();
  await rowOf(page, "problems", toCase.id).waitFor({ state: "detached" });
  const solved = (await api("GET", `/v1/grid/contact-problems?staff_id=${leader.staff_id}&status=CONTACT_PROBLEM_STATUS_SOLVED`))
    .problems.find(p => p.id === solve.id);
  const cased = (await api("GET", `/v1/grid/contact-problems?staff_id=${leader.staff_id}&status=CONTACT_PROBLEM_STATUS_CASE`))
    .problems.find(p => p.id === toCase.id);
  check(solved && solved.resolution === "物业已更换楼道灯" && Number(solved.closed_unix_ms) > 0,
        `the service holds ${solve.id} solved as typed`);
  check(cased && String(cased.case_id) === String(realCase.id) && cased.case_registration === realCase.registration_number,
        `the service holds ${toCase.id} handed to intake's case ${realCase.id} (${realCase.registration_number})`);
  await page.locator('[data-test="problem-filter"] label', { hasText: "全部" }).click();
  await rowOf(page, "problems", toCase.id).waitFor();
  const caseNow = await api("GET", `/v1/intake/cases/${realCase.id}`);
  const STATUS = { CASE_STATUS_RECEIVED: "待受理", CASE_STATUS_ACCEPTED: "已受理", CASE_STATUS_ASSIGNED: "已派单",
    CASE_STATUS_IN_PROGRESS: "办理中", CASE_STATUS_RESOLVED: "待回访", CASE_STATUS_CLOSED: "已办结" };
  await page.waitForFunction(([id, s]) => document.querySelector(`[data-test="case-state-${id}"]`)?.innerText.trim() === s,
    [toCase.id, STATUS[caseNow.status]], { timeout: 10000 }).catch(() => {});
  const caseCells = await rowOf(page, "problems", toCase.id).locator("td").allInnerTexts();
  const state = (await page.locator(`[data-test="case-state-${toCase.id}"]`).innerText()).trim();
  check(caseCells[3] === "已转工单" && caseCells[4].includes(realCase.registration_number) && state === STATUS[caseNow.status],
        `the problem list shows the case and its state in intake (${state}): ${caseCells.join(" | ")}`);
  await screenshot(page, "frontline-problems");
  await checkNoOverflow(page, "frontline page at 1366 px");
  const keys = (await page.evaluate(() => document.body.textContent)).match(/\bfrontline\.[a-zA-Z.]+/g);
  check(!keys, `no message key shows in place of words${keys ? ": " + keys.join(" ") : ""}`);
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "en");
  const english = await page.locator(".el-tabs__item").allInnerTexts();
  check(english.join("|") === "My contact points|Problems found", `English on request: ${english.join(" | ")}`);
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  checkNoErrors(page, "the leader's frontline page");

  // --- the department's staff ---------------------------------------------------------
  const dept = await newPage(browser);
  await logIn(dept, "department_staff");
  await dept.locator('[data-test="nav-frontline"]').click();
  await rowOf(dept, "pairing-counts", community).waitFor();
  const countsOf = async () => (await api("GET", `/v1/grid/department-work-counts?group_by=DEPARTMENT_WORK_GROUPING_COMMUNITY`
                                          + `&department_code=${department}`)).counts.find(c => c.key === community);
  const counted = await countsOf();
  const countCells = await rowOf(dept, "pairing-counts", community).locator("td").allInnerTexts();
  check(countCells[0].includes(unitName) && countCells[1] === String(counted.visits || 0)
        && countCells[2] === String(counted.problems || 0),
        `the paired community ${unitName}: visits and problems as the service counts (${countCells.join(" | ")})`);
  // The department's household visits, as volunteer counts them by department.
  const byDepartment = (await api("GET", "/v1/volunteer/visit-counts?group_by=VISIT_GROUPING_DEPARTMENT")).counts || [];
  const ours = byDepartment.find(c => c.key === department) || {};
  const visitsFigure = `本部门入户走访 ${ours.visits || 0} 次，${ours.households || 0} 户，${ours.staff || 0} 人参与`;
  await dept.waitForFunction(text => document.querySelector('[data-test="household-visits"]').innerText.includes(text),
                             visitsFigure);
  check(ours.visits >= 1, `the household visits figure is volunteer's: ${visitsFigure}`);
  await dept.locator(`[data-test="work-kind-DEPARTMENT_WORK_KIND_RESOURCE"]`).click();
  await dept.locator(field("work-content")).fill(`资助社区为民办实事项目${tag}`);
  await dept.locator('[data-test="work-submit"]').click();
  check(await errorIn(dept, "work-form") === "请填写大于0的数量", "a resource without an amount is asked for it");
  await dept.locator(field("work-amount")).fill("5000");
  await dept.locator('[data-test="work-submit"]').click();
  const money = Number(counted.money_yuan || 0) + 5000;
  await dept.waitForFunction(([code, text]) => [...document.querySelectorAll('[data-test="pairing-counts"] .el-table__body tr')]
    .some(tr => tr.innerText.includes(code) && tr.querySelectorAll("td")[5].innerText.trim() === text),
  [community, new Intl.NumberFormat("zh-CN").format(money)]);
  const listed = (await api("GET", `/v1/grid/department-work?department_code=${department}&kind=DEPARTMENT_WORK_KIND_RESOURCE`)).works;
  const given = listed.find(w => w.content === `资助社区为民办实事项目${tag}`);
  check(given && given.amount === 5000 && given.resource_kind === "RESOURCE_KIND_MONEY" && given.community_code === community
        && given.staff_id === departmentStaff.staff_id,
        `the service holds the resource ${given && given.id}: 5000 yuan to ${community} by ${departmentStaff.staff_id}`);
  check((await countsOf()).money_yuan === money, `the community's money counted is ${money}, on screen too`);
  await screenshot(dept, "frontline-department");

  // What followed the problem taken on.
  await dept.locator(".el-tabs__item", { hasText: "帮建工作记录" }).click();
  await dept.locator(`[data-test="follow-${takenOn.id}"]`).click();
  await dept.locator('[data-test="follow-submit"]').click();
  check(await errorIn(dept, "follow-dialog") === "请填写后续情况", "a follow-up without what followed is asked for it");
  await dept.locator(field("follow-text")).fill("屋面已修缮，社区验收合格");
  await dept.locator('[data-test="follow-done"]').click();
  await dept.locator('[data-test="follow-submit"]').click();
  await dept.locator(`[data-test="follow-${takenOn.id}"]`).waitFor({ state: "detached" });
  const followed = (await api("GET", `/v1/grid/department-work?department_code=${department}&kind=DEPARTMENT_WORK_KIND_PROBLEM`))
    .works.find(w => w.id === takenOn.id);
  check(followed && followed.done && followed.follow_up === "屋面已修缮，社区验收合格" && Number(followed.version) === 2,
        `the service holds ${takenOn.id} done with what followed`);
  const workCells = await rowOf(dept, "works", takenOn.id).locator("td").allInnerTexts();
  check(workCells[3] === "认领问题" && workCells[6].includes("已办结") && workCells[6].includes("屋面已修缮"),
        `the work list shows it: ${workCells.join(" | ")}`);
  await screenshot(dept, "frontline-department-work");
  const deptKeys = (await dept.evaluate(() => document.body.textContent)).match(/\bfrontline\.[a-zA-Z.]+/g);
  check(!deptKeys, `no message key shows on the department's tabs${deptKeys ? ": " + deptKeys.join(" ") : ""}`);
  checkNoErrors(dept, "the department's frontline page");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "leader");
  await phone.goto(fixture.gateway + "/#/frontline?tab=points");
  await rowOf(phone, "points", community).click();
  await phone.waitForSelector('[data-test="visit-form"]');
  await checkNoOverflow(phone, "contact points at 375 px");
  await screenshot(phone, "frontline-phone");
  checkNoErrors(phone, "the frontline page on a phone");

  // Not the window clerk's work: no menu entry, and the route lands home.
  const other = await newPage(browser);
  await logIn(other, "window_clerk");
  check(await other.locator('[data-test="nav-frontline"]').count() === 0, "the window clerk has no 一线工作 entry");
  await other.goto(fixture.gateway + "/#/frontline");
  await other.waitForFunction(() => location.hash === "#/");
  check(await other.locator('[data-test="points"]').count() === 0, "the window clerk opening /frontline lands home");
});
