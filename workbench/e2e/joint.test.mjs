// The joint mechanisms' member units (联席会议成员单位) on the page 共建兑现与会议出勤:
// with the first community's party committee, property company and a
// resident unit in its five-party meeting and a part-time committee seat
// made through the admin API, the community's staff open the member units'
// tab, are asked for the kind before saving, add the owners' committee
// with its representative (grid holds it), record a five-party meeting
// naming every member unit (the property company by a substitute, the
// resident unit on leave, the owners' committee absent) beside the seat,
// after being asked for the units not marked; the meeting shows 2 / 4
// units and grid holds every unit's line; the tab's rates equal grid's
// JointAttendanceRates; a unit leaves and grid holds the day. The street's
// staff see their street's joint meeting and the community's five-party
// rate as grid counts it. English on request, a phone's width.
// Screenshots at 1366x768 and 375 px.
import { api, check, checkNoErrors, checkNoOverflow, districtDay, field, fixture, logIn, newPage, run, screenshot }
  from "./lib.mjs";

const community = fixture.district.communities[0];
const street = community.slice(0, 9);
const tag = String(Date.now()).slice(-6);
const FIVE = "MEETING_ATTENDANCE_MECHANISM_FIVE_PARTY";
const ATTENDED = "MEETING_ATTENDANCE_STATUS_ATTENDED";
const LEAVE = "MEETING_ATTENDANCE_STATUS_ABSENT_WITH_LEAVE";
const ABSENT = "MEETING_ATTENDANCE_STATUS_ABSENT_WITHOUT_LEAVE";
const today = districtDay();

const join = (kind, name, representative, post) => api("POST", "/v1/grid/joint-members", { unit_code: community,
  mechanism: FIVE, kind, name, representative, representative_post: post, joined_on: "2020-01-01", active: true });
const party = await join("JOINT_MEMBER_KIND_PARTY_ORGANISATION", `社区党委${tag}`, "王淑芬", "党委书记");
const property = await join("JOINT_MEMBER_KIND_PROPERTY_MANAGEMENT", `海星物业${tag}`, "张伟", "项目经理");
const resident = await join("JOINT_MEMBER_KIND_RESIDENT_UNIT", `青岛啤酒四方分厂${tag}`, "孙志刚", "党支部书记");
const seatHolder = await api("POST", "/v1/grid/staff", { name: `刘建国${tag}`, kind: "STAFF_KIND_PART_TIME_COMMITTEE",
  unit_code: community, employer: "四方区人民医院", active: true });
await api("POST", "/v1/grid/responsibilities", { staff_id: seatHolder.id, unit_code: community,
  kind: "RESPONSIBILITY_KIND_PART_TIME_COMMITTEE" });
const membersOf = async () => ((await api("GET", `/v1/grid/joint-members?under=${community}&include_left=true`
  + "&page_size=500")).members || []);
const errorIn = async (page, form) => (await page.locator(`[data-test="${form}"] .el-form-item__error`).first().innerText())
  .trim();
const rowOf = (page, table, text) => page.locator(`[data-test="${table}"] .el-table__body tr`, { hasText: text });

async function choose(page, test, text) {
  await page.locator(`[data-test="${test}"]`).click();
  await page.locator(".el-select-dropdown__item:visible", { hasText: text }).first().click();
}

await run(async browser => {
  // --- the community's staff: the member units --------------------------------------------
  const page = await newPage(browser);
  await logIn(page, "community_staff");
  await page.locator('[data-test="nav-commitments"]').click();
  await page.locator(".el-tabs__item", { hasText: "联席会议成员单位" }).click();
  await rowOf(page, "joint-members", `海星物业${tag}`).waitFor();
  check((await page.locator('[data-test="joint-mechanism"]').innerText()).trim() === "五方联席会",
        "the community's mechanism is its five-party meeting");
  check((await rowOf(page, "joint-members", `海星物业${tag}`).innerText()).includes("张伟"),
        "the property company's row names its representative");
  await page.locator(field("joint-name")).fill(`杭州花园业主委员会${tag}`);
  await page.locator(field("joint-representative")).fill("赵建华");
  await page.locator('[data-test="joint-submit"]').click();
  check((await errorIn(page, "joint-form")) === "请选择单位类别", "a member without its kind is asked for it");
  await choose(page, "joint-kind", "业主委员会");
  await page.locator(field("joint-post")).fill("业委会主任");
  await page.locator('[data-test="joint-submit"]').click();
  await rowOf(page, "joint-members", `杭州花园业主委员会${tag}`).waitFor();
  const owners = (await membersOf()).find(m => m.name === `杭州花园业主委员会${tag}`);
  check(owners && owners.kind === "JOINT_MEMBER_KIND_OWNERS_COMMITTEE" && owners.representative === "赵建华"
        && owners.representative_post === "业委会主任" && owners.active && owners.mechanism === FIVE
        && owners.joined_on === today, `grid holds the owners' committee ${owners && owners.id}`);

  // --- a five-party meeting naming every member unit ------------------------------------------
  await page.locator(".el-tabs__item", { hasText: "会议出勤" }).click();
  await choose(page, "attendance-mechanism", "五方联席会");
  const units = [party, property, resident, owners];
  for (const u of units) await page.locator(`[data-test="unit-${u.id}"]`).waitFor();
  await page.locator(field("attendance-title")).fill(`五方联席会：小区停车${tag}`);
  for (const seat of await page.locator('[data-test^="seat-S"][data-test$="-' + ATTENDED + '"]').all()) await seat.click();
  await page.locator(`[data-test="unit-${party.id}-${ATTENDED}"]`).click();
  await page.locator(`[data-test="unit-${property.id}-${ATTENDED}"]`).click();
  await page.locator(field(`unit-${property.id}-came`)).fill("钱小军");
  await page.locator('[data-test="attendance-submit"]').click();
  check((await errorIn(page, "attendance-form")) === "请为每个成员单位选择出勤情况",
        "a meeting without every member unit's attendance is asked for it");
  await page.locator(`[data-test="unit-${resident.id}-${LEAVE}"]`).click();
  await page.locator(field(`unit-${resident.id}-note`)).fill("厂务会冲突");
  await page.locator(`[data-test="unit-${owners.id}-${ABSENT}"]`).click();
  // The message leaves with Element Plus's transition: given a moment to go.
  await page.locator('[data-test="attendance-form"] .el-form-item__error').first()
    .waitFor({ state: "detached", timeout: 5000 }).catch(() => {});
  check(await page.locator('[data-test="attendance-form"] .el-form-item__error').count() === 0,
        "choosing every unit's attendance clears what was asked");
  await screenshot(page, "joint-meeting-form");
  await page.locator('[data-test="attendance-submit"]').click();
  const meetingRow = rowOf(page, "attendance-meetings", `小区停车${tag}`);
  await meetingRow.waitFor();
  const recorded = ((await api("GET", `/v1/grid/meeting-attendance?under=${community}`)).attendances || [])
    .find(a => a.title === `五方联席会：小区停车${tag}`);
  const line = id => recorded && (recorded.member_units || []).find(u => u.member_id === id);
  check(recorded && recorded.mechanism === FIVE && recorded.units_expected === 4 && recorded.units_attended === 2
        && line(party.id).status === ATTENDED && line(party.id).representative === "王淑芬" && !line(party.id).substitute
        && line(property.id).representative === "钱小军" && line(property.id).substitute === true
        && line(resident.id).status === LEAVE && line(resident.id).note === "厂务会冲突"
        && line(owners.id).status === ABSENT,
        `grid holds the meeting ${recorded && recorded.id} with every member unit's attendance`);
  check((await meetingRow.innerText()).includes("2 / 4"), "the meeting's row shows 2 of 4 member units attended");
  check((await meetingRow.innerText()).includes(`青岛啤酒四方分厂${tag}（请假）`), "the row names the unit on leave");

  // --- the rates as grid counts them, a unit leaving -------------------------------------------
  await page.locator(".el-tabs__item", { hasText: "联席会议成员单位" }).click();
  await rowOf(page, "joint-members", `海星物业${tag}`).waitFor();
  const rates = await api("GET", `/v1/grid/joint-attendance-rates?under=${community}&mechanism=${FIVE}`
    + `&held_from=${today.slice(0, 4)}-01-01&held_to=${today.slice(0, 4)}-12-31`);
  for (const u of [property, owners]) {
    const rate = rates.members.find(r => r.key === u.id);
    const cells = await rowOf(page, "joint-members", u.name).locator("td").allInnerTexts();
    const share = Math.round((rate.attended || 0) * 1000 / rate.expected) / 10;
    check(cells[0].includes(u.representative) && cells[1] === `${share}%` && cells[2] === String(rate.expected)
          && cells[3] === String(rate.attended || 0) && cells[5] === String(rate.absent_without_leave || 0),
          `${u.name}'s rate as grid counts it: ${cells.slice(0, 6).join(" | ")}`);
  }
  const figures = await page.locator('[data-test="joint-figures"]').innerText();
  check(figures.includes(`应到 ${rates.total.expected} 家次`), `the figures as grid counts them: ${figures}`);
  await screenshot(page, "joint-members");
  await page.locator(`[data-test="joint-leave-${resident.id}"]`).click();
  await page.locator(".el-popconfirm__action .el-button--primary:visible").click();
  await page.waitForFunction(name => ![...document.querySelectorAll('[data-test="joint-members"] .el-table__body tr')]
    .some(tr => tr.innerText.includes(name)), `青岛啤酒四方分厂${tag}`);
  const left = (await membersOf()).find(m => m.id === resident.id);
  check(left && !left.active && left.left_on === today, `grid holds the resident unit left on ${left && left.left_on}`);

  // English on request.
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "en");
  check((await page.locator('[data-test="joint-mechanism"]').innerText()).trim() === "Five-party meeting",
        "English on request");
  await screenshot(page, "joint-members-en");
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  const keys = (await page.evaluate(() => document.body.textContent)).match(/\bcommitments\.[a-zA-Z.]+/g);
  check(!keys, `no message key shows${keys ? ": " + keys.join(" ") : ""}`);
  checkNoErrors(page, "the community's member units");

  // --- the street's staff: their joint meeting and the communities' --------------------------
  const streetPage = await newPage(browser);
  await logIn(streetPage, "street_staff");
  await streetPage.locator('[data-test="nav-commitments"]').click();
  await streetPage.locator(".el-tabs__item", { hasText: "联席会议成员单位" }).click();
  await streetPage.locator('[data-test="joint-communities"]').waitFor();
  check((await streetPage.locator('[data-test="joint-mechanism"]').innerText()).trim() === "街道党建联席会议",
        "the street's mechanism is its joint party-building meeting");
  const five = (await api("GET", `/v1/grid/joint-attendance-rates?under=${street}&mechanism=${FIVE}`
    + `&held_from=${today.slice(0, 4)}-01-01&held_to=${today.slice(0, 4)}-12-31`)).units.find(u => u.key === community);
  const cells = await rowOf(streetPage, "joint-communities", five.name).locator("td").allInnerTexts();
  check(cells[1] === String(five.expected) && cells[2] === String(five.attended),
        `the community's five-party rate as grid counts it: ${cells.join(" | ")}`);
  checkNoErrors(streetPage, "the street's member units");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "community_staff");
  await phone.goto(fixture.gateway + "/#/commitments");
  await phone.locator(".el-tabs__item", { hasText: "联席会议成员单位" }).click();
  await rowOf(phone, "joint-members", `海星物业${tag}`).waitFor();
  await checkNoOverflow(phone, "the member units' tab at 375 px");
  await screenshot(phone, "joint-members-phone");
  await phone.locator(".el-tabs__item", { hasText: "会议出勤" }).click();
  await choose(phone, "attendance-mechanism", "五方联席会");
  await phone.locator(`[data-test="unit-${party.id}"]`).waitFor();
  await checkNoOverflow(phone, "the meeting form with its member units at 375 px");
  await screenshot(phone, "joint-meeting-phone");
  checkNoErrors(phone, "the page on a phone");
});
