// 入户走访 (走千人访千户): with civil affairs paired with the first community,
// the department's staff find a household by its code, are asked first
// for what was found (nothing written), record the visit, then add what
// followed twice (asked first for what was done; the second settles it):
// each read back from volunteer (VisitList) and compared with the page's
// row, state and figures; the department's visits in its paired
// communities; a phone's width; a role without the duty gets no entry.
// Screenshots at 1366x768 and 375 px.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const community = d.communities[0];
const household = d.households[0][3];
const staff = fixture.people.department_staff;
const tag = String(Date.now()).slice(-6);

try {
  await api("POST", "/v1/grid/pairings", { department_code: staff.department, community_code: community });
} catch (error) {
  if (!/\b409\b|ALREADY_EXISTS/.test(String(error))) throw error;
}

// The person's visits as volunteer lists them for the half-year the page opens on.
function halfYear(now = Date.now()) {
  const local = new Date(now + 8 * 3600e3);
  const year = local.getUTCFullYear(), first = local.getUTCMonth() < 6;
  const at = (y, m) => Date.parse(`${y}-${String(m).padStart(2, "0")}-01T00:00:00+08:00`);
  return first ? [at(year, 1), at(year, 7)] : [at(year, 7), at(year + 1, 1)];
}
const [from, to] = halfYear();
async function mine() {
  return (await api("GET", `/v1/volunteer/visits?staff_id=${staff.staff_id}&from_unix_ms=${from}&to_unix_ms=${to}`
    + "&page_size=500")).visits || [];
}
const rowOf = (page, text) => page.locator('[data-test="visits"] .el-table__body tr', { hasText: text });
const figuresText = page => page.locator('[data-test="visits-figures"]').innerText();

await run(async browser => {
  const page = await newPage(browser);
  await logIn(page, "department_staff");
  await page.locator('[data-test="nav-visits"]').click();
  await page.waitForSelector('[data-test="visit-form"]');
  const before = await mine();
  await page.waitForFunction(n => document.querySelector('[data-test="visits-figures"]').innerText.includes(`走访 ${n} 次`),
                             before.length);

  // The household by its code; what was found is asked for first.
  await page.locator('[data-test="visit-find-by"] label', { hasText: "户编号" }).click();
  await page.locator(field("visit-find-text")).fill(household);
  await page.locator('[data-test="visit-find"]').click();
  await page.locator(`[data-test="visit-household-${household}"]`).waitFor();
  await page.locator('[data-test="visit-submit"]').click();
  await page.locator('[data-test="visit-form"] .el-form-item__error', { hasText: "请填写了解到的情况" }).waitFor();
  check((await mine()).length === before.length, "a visit without what was found is not sent");
  const note = `独居老人，冬季取暖有困难${tag}`;
  await page.locator(field("visit-note")).fill(note);
  await page.locator(field("visit-help")).fill("送去米面油");
  await page.locator('[data-test="visit-submit"]').click();
  await rowOf(page, note).waitFor();
  const recorded = (await mine()).find(v => v.note === note);
  check(recorded && recorded.household_code === household && recorded.community_code === community
        && recorded.help_given === "送去米面油" && recorded.kind === "CONTACT_KIND_VISIT"
        && recorded.department_code === staff.department && !(recorded.follow_ups || []).length,
        `volunteer keeps the visit as typed (${JSON.stringify(recorded)})`);
  const cells = await rowOf(page, note).locator("td").allInnerTexts();
  check(cells[0].includes(recorded.id) && cells[1].includes(household) && cells[3].includes("送去米面油")
        && cells[5].includes("未跟进"), `the row shows the visit, 未跟进 (${cells.join(" | ")})`);
  await page.waitForFunction(n => document.querySelector('[data-test="visits-figures"]').innerText.includes(`走访 ${n} 次`),
                             before.length + 1);
  await screenshot(page, "visits-recorded");

  // What followed: asked first what was done; then twice, the second settling it.
  await page.locator(`[data-test="follow-${recorded.id}"]`).click();
  await page.locator('[data-test="follow-submit"]').click();
  await page.locator('[data-test="follow-dialog"] .el-form-item__error', { hasText: "请填写做了什么" }).waitFor();
  check(!((await mine()).find(v => v.id === recorded.id).follow_ups || []).length, "an empty follow-up is not sent");
  await page.locator(field("follow-note")).fill(`已申请临时救助${tag}`);
  await page.locator('[data-test="follow-submit"]').click();
  await page.locator(`[data-test="state-${recorded.id}"]`, { hasText: "跟进中" }).waitFor();
  await page.locator(`[data-test="follow-${recorded.id}"]`).click();
  await page.locator(field("follow-note")).fill(`救助金已发放${tag}`);
  await page.locator('[data-test="follow-done"]').click();
  await page.locator('[data-test="follow-submit"]').click();
  await page.locator(`[data-test="state-${recorded.id}"]`, { hasText: "已办结" }).waitFor();
  const followed = (await mine()).find(v => v.id === recorded.id);
  const history = followed.follow_ups || [];
  check(history.length === 2 && history[0].note === `已申请临时救助${tag}` && !history[0].done
        && history[1].note === `救助金已发放${tag}` && history[1].done && followed.done
        && history.every(f => f.recorded_by === staff.staff_id || f.recorded_by === staff.login),
        `volunteer keeps both follow-ups in order, the second settling it (${JSON.stringify(history)})`);
  const listed = await page.locator(`[data-test="follow-ups-${recorded.id}"] li`).allInnerTexts();
  check(listed.length === 2 && listed[0].includes(history[0].note) && listed[1].includes(history[1].note)
        && listed[1].includes("已办结"), `the page lists the history (${listed.join(" | ")})`);
  const all = await mine();
  const done = all.filter(v => (v.follow_ups || []).length && v.done).length;
  const text = await figuresText(page);
  check(text.includes(`走访 ${all.length} 次`) && text.includes(`已办结 ${done}`),
        `the figures as volunteer's list gives them (${text})`);
  await screenshot(page, "visits-followed");

  // The department's visits in its paired communities.
  await page.locator('[data-test="visits-whose"] label', { hasText: "本部门走访" }).click();
  await rowOf(page, note).waitFor();
  checkNoErrors(page, "the visits page");

  const phone = await newPage(browser, { width: 375, height: 800 });
  await logIn(phone, "department_staff");
  await phone.goto(fixture.gateway + "/#/visits");
  await rowOf(phone, note).waitFor();
  await checkNoOverflow(phone, "the visits page at 375 px");
  await screenshot(phone, "visits-phone");

  const other = await newPage(browser);
  await logIn(other, "window_clerk");
  check(await other.locator('[data-test="nav-visits"]').count() === 0, "the window clerk has no 入户走访 entry");
});
