// Co-building kept and meetings attended (共建兑现与会议出勤): with a resident
// unit's co-building (10 person-times a year) and two part-time committee
// members seated in the first community made through the admin API, the
// volunteer coordinator sees the commitment not kept, is asked to choose a
// commitment before saving, records 10 delivered with its evidence and sees
// it kept, as volunteer's standing says; the community's staff see both
// members expected, are asked for every member's attendance, record one
// attended and one on leave, and see the meeting and the rates as grid
// counts them. English on request, a phone's width, and a role without the
// duty gets no menu entry. Screenshots at 1366x768 and 375 px.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const community = fixture.district.communities[0];
const tag = String(Date.now()).slice(-6);
const year = Number(new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric" }).format(new Date()));
const unitName = `青岛啤酒四方分厂${tag}`;

const pair = await api("POST", "/v1/volunteer/cobuildings", {
  unit_name: unitName, community_code: community, since: `${year}-01-01`,
  commitments: [{ kind: "COMMITMENT_KIND_PEOPLE", description: `职工志愿服务${tag}`, quantity: 10, unit: "人次" }],
});
const members = [];
for (const name of ["刘建国", "陈秀兰"]) {
  const staff = await api("POST", "/v1/grid/staff", { name: `${name}${tag}`, kind: "STAFF_KIND_PART_TIME_COMMITTEE",
    unit_code: community, employer: unitName, active: true });
  await api("POST", "/v1/grid/responsibilities", { staff_id: staff.id, unit_code: community,
    kind: "RESPONSIBILITY_KIND_PART_TIME_COMMITTEE" });
  members.push(staff);
}
const standingOf = async () => (await api("GET", `/v1/volunteer/cobuilding-standing?under=${community}&year=${year}`
  + "&page_size=500")).commitments.find(c => c.cobuilding_id === pair.id);
const errorIn = async (page, form) => (await page.locator(`[data-test="${form}"] .el-form-item__error`).first().innerText())
  .trim();
const rowOf = (page, table, text) => page.locator(`[data-test="${table}"] .el-table__body tr`, { hasText: text });

await run(async browser => {
  // --- the volunteer coordinator: a delivery --------------------------------------------
  const page = await newPage(browser);
  await logIn(page, "volunteer_coordinator");
  check(await page.locator('[data-test="nav-commitments"]').count() === 1, "the coordinator's menu has 共建兑现与会议出勤");
  await page.locator('[data-test="nav-commitments"]').click();
  await rowOf(page, "standing", unitName).waitFor();
  check((await rowOf(page, "standing", unitName).innerText()).includes("未兑现"), "the new commitment shows not kept");
  await page.locator('[data-test="delivery-submit"]').click();
  check((await errorIn(page, "delivery-form")) === "请选择承诺事项", "a delivery without its commitment is asked for it");
  await page.locator('[data-test="delivery-commitment"]').click();
  await page.locator(".el-select-dropdown__item:visible", { hasText: unitName }).first().click();
  await page.locator(field("delivery-quantity")).fill("10");
  await page.locator(field("delivery-evidence")).fill(`活动签到表${tag}`);
  await page.locator('[data-test="delivery-submit"]').click();
  await page.waitForFunction(name => [...document.querySelectorAll('[data-test="standing"] .el-table__body tr')]
    .some(tr => tr.innerText.includes(name) && tr.innerText.includes("已兑现")), unitName);
  const kept = await standingOf();
  check(kept && kept.standing === "CO_BUILDING_DELIVERY_STANDING_KIND_KEPT" && kept.delivered === 10 && kept.deliveries === 1,
        `volunteer holds the commitment kept: ${kept && kept.delivered} of ${kept && kept.committed}`);
  const delivered = (await api("GET", `/v1/volunteer/cobuilding-deliveries?cobuilding_id=${pair.id}`)).deliveries || [];
  check(delivered.length === 1 && delivered[0].evidence === `活动签到表${tag}` && delivered[0].quantity === 10,
        `the delivery ${delivered[0] && delivered[0].id} with its evidence`);
  await screenshot(page, "commitments-cobuilding");

  // The commitment's deliveries under its row; a second one recorded wrongly
  // (5 more) is reversed (冲销) with a reason.
  await page.locator('[data-test="delivery-commitment"]').click();
  await page.locator(".el-select-dropdown__item:visible", { hasText: unitName }).first().click();
  await page.locator(field("delivery-quantity")).fill("5");
  await page.locator(field("delivery-evidence")).fill(`重复登记${tag}`);
  await page.locator('[data-test="delivery-submit"]').click();
  let wrong = null;
  for (let i = 0; i < 50 && !wrong; i++) {
    wrong = ((await api("GET", `/v1/volunteer/cobuilding-deliveries?cobuilding_id=${pair.id}`)).deliveries || [])
      .find(d => d.evidence === `重复登记${tag}`);
    if (!wrong) await page.waitForTimeout(100);
  }
  await rowOf(page, "standing", unitName).locator(".el-table__expand-icon").click();
  const listed = page.locator(`[data-test="deliveries-${pair.id}-0"] .el-table__body tr`);
  await listed.nth(1).waitFor();
  const lines = await listed.allInnerTexts();
  check(lines.length === 2 && lines[0].includes(`活动签到表${tag}`) && lines[1].includes(`重复登记${tag}`)
        && lines[1].includes("5"), `the commitment's two deliveries under its row, oldest first: ${lines.join(" / ")}`);
  await page.locator(`[data-test="reverse-${wrong.id}"]`).click();
  await page.locator(".el-message-box__btns .el-button--primary").click();
  check((await page.locator(".el-message-box__errormsg").innerText()).trim() === "请填写冲销原因",
        "a reversal without a reason is asked for one");
  await page.locator(".el-message-box__input input").fill("同一次活动重复登记");
  await page.locator(".el-message-box__btns .el-button--primary").click();
  const reversedAt = async () => ((await api("GET", `/v1/volunteer/cobuilding-deliveries?cobuilding_id=${pair.id}`))
    .deliveries || []).find(d => d.id === wrong.id);
  let held = null;
  for (let i = 0; i < 50 && !(held && Number(held.reversed_unix_ms) > 0); i++) {
    held = await reversedAt();
    if (!(held && Number(held.reversed_unix_ms) > 0)) await page.waitForTimeout(100);
  }
  check(held && Number(held.reversed_unix_ms) > 0 && held.reversal_reason === "同一次活动重复登记",
        `volunteer holds the red entry for ${wrong.id}: ${held && held.reversal_reason}`);
  const after = await standingOf();
  check(after && after.delivered === 10 && after.deliveries === 1 && after.standing === "CO_BUILDING_DELIVERY_STANDING_KIND_KEPT",
        `the reversed 5 count towards nothing: ${after && after.delivered} delivered in ${after && after.deliveries}`);
  // The page reloads after the reversal; the row stays open unless the
  // table was rebuilt, when it is opened again.
  await page.locator(".el-message--success", { hasText: "已冲销" }).waitFor();
  try {
    await page.locator(`[data-test="reversed-${wrong.id}"]`).waitFor({ timeout: 5000 });
  } catch {
    await rowOf(page, "standing", unitName).locator(".el-table__expand-icon").click();
    await page.locator(`[data-test="reversed-${wrong.id}"]`).waitFor();
  }
  check((await page.locator(`[data-test="reversed-${wrong.id}"]`).innerText()).includes("已冲销"),
        "the reversed delivery says 已冲销 under its commitment");
  const standingCells = await rowOf(page, "standing", unitName).first().locator("td").allInnerTexts();
  check(Number(standingCells[5].replace(/,/g, "").trim()) === after.delivered && standingCells[6].includes("已兑现"),
        `the commitment's row shows what volunteer counts: ${standingCells.join(" | ")}`);
  await screenshot(page, "commitments-reversed");
  checkNoErrors(page, "the coordinator's page");

  // --- the community's staff: a meeting's attendance ---------------------------------------
  const staff = await newPage(browser);
  await logIn(staff, "community_staff");
  await staff.locator('[data-test="nav-commitments"]').click();
  for (const m of members) await staff.locator(`[data-test="seat-${m.id}"]`).waitFor();
  await staff.locator(field("attendance-title")).fill(`三月五方联席会${tag}`);
  await staff.locator(`[data-test="seat-${members[0].id}-MEETING_ATTENDANCE_STATUS_ATTENDED"]`).click();
  await staff.locator('[data-test="attendance-submit"]').click();
  check((await errorIn(staff, "attendance-form")) === "请为每位兼职委员选择出勤情况",
        "a meeting without every member's attendance is asked for it");
  await staff.locator(`[data-test="seat-${members[1].id}-MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE"]`).click();
  await staff.locator(field(`seat-${members[1].id}-note`)).fill("外出培训");
  await staff.locator('[data-test="attendance-submit"]').click();
  await rowOf(staff, "attendance-meetings", `三月五方联席会${tag}`).waitFor();
  const recorded = ((await api("GET", `/v1/grid/meeting-attendance?under=${community}`)).attendances || [])
    .find(a => a.title === `三月五方联席会${tag}`);
  const mine = recorded && recorded.attendees.filter(a => members.some(m => m.id === a.staff_id));
  check(recorded && mine.length === 2 && mine.find(a => a.staff_id === members[0].id).status
          === "MEETING_ATTENDANCE_STATUS_ATTENDED"
        && mine.find(a => a.staff_id === members[1].id).note === "外出培训",
        `grid holds the attendance ${recorded && recorded.id}: ${recorded && recorded.attended} of ${recorded && recorded.expected}`);
  const rates = await api("GET", `/v1/grid/meeting-attendance-rates?under=${community}`);
  const second = rates.people.find(p => p.key === members[1].id);
  const cells = await rowOf(staff, "attendance-people", members[1].id).locator("td").allInnerTexts();
  check(second && cells[1] === String(second.expected) && cells[3] === String(second.absent_with_leave || 0),
        `the member's rate as grid counts it: ${cells.join(" | ")}`);
  await screenshot(staff, "commitments-attendance");
  await staff.locator('[data-test="language"]').click();
  await staff.waitForFunction(() => document.documentElement.lang === "en");
  check((await staff.locator(".cm-title").innerText()).trim() === "Co-building kept and meetings attended",
        "English on request");
  await screenshot(staff, "commitments-attendance-en");
  await staff.locator('[data-test="language"]').click();
  await staff.waitForFunction(() => document.documentElement.lang === "zh-CN");
  const keys = (await staff.evaluate(() => document.body.textContent)).match(/\bcommitments\.[a-zA-Z.]+/g);
  check(!keys, `no message key shows${keys ? ": " + keys.join(" ") : ""}`);
  checkNoErrors(staff, "the community's attendance page");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "volunteer_coordinator");
  await phone.goto(fixture.gateway + "/#/commitments");
  await rowOf(phone, "standing", unitName).waitFor();
  await checkNoOverflow(phone, "the co-building tab at 375 px");
  await screenshot(phone, "commitments-phone");
  checkNoErrors(phone, "the page on a phone");

  // Not the window clerk's work.
  const other = await newPage(browser);
  await logIn(other, "window_clerk");
  check(await other.locator('[data-test="nav-commitments"]').count() === 0, "the window clerk has no entry");
});
