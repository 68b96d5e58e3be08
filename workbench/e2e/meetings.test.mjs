// 会议议事: a community's staff record a meeting through the page. A
// five-party meeting with only the party organisation and the residents'
// committee is refused by intake, said beside the parties in Chinese; made
// community talks (社区恳谈会: the residents' committee and resident
// representatives), with two matters (one in a zone), it is recorded, and
// the list opens on it: every field of the meeting, its parties and its
// matters (with the case each became) compared with MeetingGet, and each
// case with intake's. The street's staff record the street's joint meeting
// (街道党建联席会议) and filter their street's meetings by kind and by
// community, the rows compared with MeetingList. A leader reads, records
// nothing. English on request; a phone's width. Screenshots meetings-*.png.
import { api, check, checkNoErrors, checkNoOverflow, districtDay, field, fixture, logIn, newPage, run,
  screenshot } from "./lib.mjs";

const d = fixture.district;
const community = d.communities[0];
const street = d.streets[0];
const tag = String(Date.now()).slice(-6);
const today = districtDay();

const KIND = { MEETING_KIND_RESIDENT_COUNCIL: "居民议事会", MEETING_KIND_PARTY_DISCUSSION_DAY: "党员议事日",
  MEETING_KIND_FIVE_PARTY: "五方联席会", MEETING_KIND_COMMUNITY_TALKS: "社区恳谈会",
  MEETING_KIND_PARTY_REP_STUDIO: "党代表工作室", MEETING_KIND_STREET_JOINT: "街道党建联席会议" };
const PARTY = { MEETING_PARTY_PARTY_ORGANISATION: "社区党组织", MEETING_PARTY_RESIDENTS_COMMITTEE: "居委会",
  MEETING_PARTY_OWNERS_COMMITTEE: "业委会", MEETING_PARTY_PROPERTY_COMPANY: "物业企业",
  MEETING_PARTY_RESIDENT_UNIT: "驻区单位", MEETING_PARTY_RESIDENTS: "居民代表", MEETING_PARTY_PARTY_MEMBERS: "党员" };

// The form once it knows where the person holds meetings.
async function formReady(page) {
  await page.waitForFunction(() => {
    const shown = document.querySelector('[data-test="meeting-unit"] .el-select__placeholder');
    return shown && !shown.classList.contains("is-transparent") && shown.textContent.trim();
  });
}

async function choose(page, select, text) {
  await page.locator(`[data-test="${select}"]`).click();
  await page.locator(".el-select-dropdown__item:visible", { hasText: text }).first().click();
}
// The rows of a table, not of the tables in its expanded rows.
async function rows(page, selector) {
  return page.locator(selector).first().evaluate(table => [...table.querySelectorAll(".el-table__body-wrapper tr.el-table__row")]
    .filter(r => r.closest(".el-table") === table)
    .map(r => Array.from(r.querySelectorAll(":scope > td"), td => td.innerText.replace(/\s+/g, " ").trim())));
}

// The list's row of a meeting and its expanded parties and matters, against
// MeetingGet; the unit's name from grid.
async function compareMeeting(page, id, what) {
  const m = await api("GET", `/v1/intake/meetings/${id}`);
  const unit = await api("GET", `/v1/grid/units/${m.community_code}`);
  const row = page.locator('[data-test="meetings"] tr.el-table__row', { has: page.locator("td") })
    .filter({ hasText: m.title }).first();
  const cells = (await row.locator(":scope > td").allInnerTexts()).map(c => c.replace(/\s+/g, " ").trim());
  const people = (m.attendees || []).reduce((n, a) => n + (a.people || 0), 0);
  const expected = ["", m.held_on, KIND[m.kind], m.title, unit.name,
    (m.attendees || []).map(a => PARTY[a.party]).join("、") + (people ? ` （${people}人）` : ""), `${m.matters.length}项`];
  check(JSON.stringify(cells) === JSON.stringify(expected), `${what}: meeting ${id}'s row as MeetingGet (${cells.join(" | ")})`);
  const detail = `[data-test="meeting-${id}"]`;
  await page.locator(detail).waitFor();
  const attendees = await rows(page, `[data-test="meeting-${id}-attendees"]`);
  check(JSON.stringify(attendees) === JSON.stringify(m.attendees.map(a => [PARTY[a.party], a.name, String(a.people || 0)])),
        `${what}: its parties present (${attendees.map(a => a.join(" ")).join("; ")})`);
  const matters = await rows(page, `[data-test="meeting-${id}-matters"]`);
  check(JSON.stringify(matters) === JSON.stringify(m.matters.map(x => [x.description, x.resolution,
    x.unit_code || m.community_code, x.registration_number])),
        `${what}: its matters with the cases they became (${matters.map(x => x[3]).join(", ")})`);
  return m;
}

await run(async browser => {
  const page = await newPage(browser);
  await logIn(page, "community_staff");
  await page.locator('[data-test="nav-meetings"]').click();
  await page.waitForFunction(() => location.hash.startsWith("#/meetings"));
  await page.locator('[data-test="meeting-new"]').click();
  await page.waitForFunction(() => location.hash === "#/meetings/new");
  await formReady(page);
  const kinds = [];
  await page.locator('[data-test="meeting-kind"]').click();
  await page.locator(".el-select-dropdown__item:visible").first().waitFor();
  for (const t of await page.locator(".el-select-dropdown__item:visible").allInnerTexts()) kinds.push(t.trim());
  await page.keyboard.press("Escape");
  check(JSON.stringify(kinds) === JSON.stringify(["居民议事会", "党员议事日", "五方联席会", "社区恳谈会", "党代表工作室"]),
        `a community's staff may record the community's kinds: ${kinds.join("、")}`);

  // A five-party meeting with two parties: intake refuses it.
  const title = `加装电梯恳谈${tag}`;
  await choose(page, "meeting-kind", "五方联席会");
  check(await page.locator('[data-test^="meeting-attendee-"][data-test$="-name"]').count() === 4,
        "a five-party meeting starts with four parties to name");
  await page.locator('[data-test="meeting-attendee-3-remove"]').click();
  await page.locator('[data-test="meeting-attendee-2-remove"]').click();
  await page.locator(field("meeting-attendee-0-name")).fill("社区党委");
  await page.locator(field("meeting-attendee-0-people")).fill("3");
  await page.locator(field("meeting-attendee-1-name")).fill("幸福里社区居委会");
  await page.locator(field("meeting-attendee-1-people")).fill("2");
  await page.locator(field("meeting-title")).fill(title);
  await page.locator(field("meeting-matter-0-description")).fill("5号楼加装电梯，部分低层住户有顾虑");
  await page.locator(field("meeting-matter-0-resolution")).fill("由居委会征询全楼住户意见，两周内再议");
  await page.locator('[data-test="meeting-save"]').click();
  await page.locator('[data-test="meeting-attendees-error"]').waitFor();
  const refusal = (await page.locator('[data-test="meeting-attendees-error"]').innerText()).trim();
  check(refusal.startsWith("五方联席会须有社区党组织") && page.url().endsWith("#/meetings/new"),
        `intake refuses a five-party meeting of two parties, said in Chinese: ${refusal}`);
  const none = await api("GET", `/v1/intake/meetings?under=${community}&page_size=100`);
  check(!(none.meetings || []).some(m => m.title === title), "nothing was recorded");

  // Community talks: the filled parties kept, resident representatives added.
  await choose(page, "meeting-kind", "社区恳谈会");
  check(await page.locator('[data-test^="meeting-attendee-"][data-test$="-name"]').count() === 3,
        "community talks keep the two parties named and add 居民代表");
  await page.locator(field("meeting-attendee-2-name")).fill("5号楼居民代表");
  await page.locator(field("meeting-attendee-2-people")).fill("11");
  await page.locator('[data-test="meeting-add-matter"]').click();
  await page.locator(field("meeting-matter-1-description")).fill("楼道堆物影响消防通道");
  await page.locator(field("meeting-matter-1-resolution")).fill("物业三日内清理，网格员复查");
  await choose(page, "meeting-matter-1-unit", d.zones[0]);
  await screenshot(page, "meetings-record");
  await page.locator('[data-test="meeting-save"]').click();
  await page.waitForFunction(() => location.hash.startsWith("#/meetings?"));
  const recorded = (await api("GET", `/v1/intake/meetings?under=${community}&page_size=100`)).meetings
    .find(m => m.title === title);
  check(recorded && recorded.kind === "MEETING_KIND_COMMUNITY_TALKS" && recorded.community_code === community
        && recorded.held_on === today && recorded.attendees.length === 3 && recorded.matters.length === 2
        && recorded.matters[1].unit_code === d.zones[0] && recorded.matters[0].unit_code === community,
        `intake holds meeting ${recorded && recorded.id}: 社区恳谈会 of ${community} today, three parties, two matters`
        + ` (${JSON.stringify(recorded)})`);
  await page.locator(`[data-test="meeting-${recorded.id}"]`).waitFor();
  const m = await compareMeeting(page, recorded.id, "recorded");
  const staff = fixture.people.community_staff;
  for (const x of m.matters) {
    const c = await api("GET", `/v1/intake/cases/${x.case_id}`);
    check(String(c.meeting_id) === String(m.id) && c.registration_number === x.registration_number
          && c.description.includes(x.description) && c.unit_code === (x.unit_code || community)
          && c.channel === "CASE_CHANNEL_COMMUNITY_MEETING",
          `matter "${x.description.slice(0, 8)}…" is case ${c.registration_number} of the meeting, in ${c.unit_code}`);
  }
  check(m.recorded_by.length > 0 && (await page.locator(`[data-test="meeting-${m.id}"] .mtg-muted`).innerText())
    .includes(m.recorded_by), `recorded by ${m.recorded_by} (${staff.login})`);
  const link = page.locator(`[data-test="meeting-case-${m.matters[0].case_id}"]`);
  check(await link.count() === 1, "each matter's case opens on the desk");
  await checkNoOverflow(page, "meetings at 1366 px");
  await screenshot(page, "meetings-list");
  const keys = (await page.evaluate(() => document.body.textContent)).match(/\bmeetings\.[a-zA-Z.]+/g);
  check(!keys, `no message key shows in place of words${keys ? ": " + keys.join(" ") : ""}`);

  // English on request, and back.
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "en");
  const heading = await page.locator(".mtg-heading").innerText();
  const kindCell = await page.locator('[data-test="meetings"] tr.el-table__row', { hasText: title }).locator("td").nth(2).innerText();
  check(heading === "Meetings" && kindCell.trim() === "Community talks", `English on request: ${heading}, ${kindCell.trim()}`);
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  checkNoErrors(page, "meetings page");

  // The street's staff: the street's joint meeting, then filters.
  const st = await newPage(browser);
  await logIn(st, "street_staff");
  await st.goto(fixture.gateway + "/#/meetings/new");
  await formReady(st);
  await choose(st, "meeting-kind", "街道党建联席会议");
  const unitShown = (await st.locator('[data-test="meeting-unit"] .el-select__placeholder').innerText()).trim();
  const streetUnit = await api("GET", `/v1/grid/units/${street}`);
  check(unitShown === streetUnit.name, `the street's joint meeting is held by the street: ${unitShown}`);
  const jointTitle = `街道党建联席会议${tag}`;
  await st.locator(field("meeting-title")).fill(jointTitle);
  await st.locator(field("meeting-attendee-0-name")).fill("街道党工委");
  await st.locator(field("meeting-attendee-1-name")).fill("区供电公司");
  await st.locator(field("meeting-attendee-1-people")).fill("2");
  await st.locator(field("meeting-matter-0-description")).fill("老旧小区线路改造");
  await st.locator(field("meeting-matter-0-resolution")).fill("供电公司年内完成两个小区");
  await st.locator('[data-test="meeting-save"]').click();
  await st.waitForFunction(() => location.hash.startsWith("#/meetings?"));
  const joint = (await api("GET", `/v1/intake/meetings?under=${street}&kind=MEETING_KIND_STREET_JOINT&page_size=100`))
    .meetings.find(x => x.title === jointTitle);
  check(joint && joint.community_code === street && joint.attendees.length === 2, `intake holds the street's joint meeting ${joint && joint.id}`);
  await st.locator(`[data-test="meeting-${joint.id}"]`).waitFor();
  await compareMeeting(st, joint.id, "street joint meeting");

  // Filters: the street's joint meetings; then the community's all kinds.
  await choose(st, "meeting-filter-unit", (await api("GET", `/v1/grid/units/${street}`)).name);
  await choose(st, "meeting-filter-kind", "街道党建联席会议");
  await st.waitForFunction(t => [...document.querySelectorAll('[data-test="meetings"] tr.el-table__row')]
    .every(r => !r.textContent.includes("社区恳谈会")) && document.body.textContent.includes(t), jointTitle);
  const byKind = (await api("GET", `/v1/intake/meetings?under=${street}&kind=MEETING_KIND_STREET_JOINT&page_size=100`)).meetings;
  const shownKind = await rows(st, '[data-test="meetings"]');
  check(JSON.stringify(shownKind.map(r => [r[1], r[2], r[3]])) === JSON.stringify(byKind.map(x => [x.held_on, KIND[x.kind], x.title])),
        `by kind: ${shownKind.length} street joint meetings, as MeetingList lists them`);
  await choose(st, "meeting-filter-kind", "全部类型");
  const communityName = (await api("GET", `/v1/grid/units/${community}`)).name;
  await choose(st, "meeting-filter-unit", communityName);
  await st.waitForFunction(t => !document.body.textContent.includes(t), jointTitle);
  const byUnit = (await api("GET", `/v1/intake/meetings?under=${community}&page_size=100`)).meetings;
  const shownUnit = await rows(st, '[data-test="meetings"]');
  check(JSON.stringify(shownUnit.map(r => [r[1], r[2], r[3], r[4]]))
        === JSON.stringify(byUnit.map(x => [x.held_on, KIND[x.kind], x.title, communityName])),
        `by community: ${shownUnit.length} meetings of ${communityName}, as MeetingList lists them, the talks among them`);
  await screenshot(st, "meetings-street");
  checkNoErrors(st, "meetings for the street");

  // A leader reads; records nothing.
  const leader = await newPage(browser);
  await logIn(leader, "leader");
  await leader.goto(fixture.gateway + "/#/meetings");
  await leader.locator('[data-test="meetings"]').waitFor();
  check(await leader.locator('[data-test="meeting-new"]').count() === 0, "a leader has no 记录会议");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "community_staff");
  await phone.goto(fixture.gateway + `/#/meetings?meeting=${m.id}`);
  await phone.locator(`[data-test="meeting-${m.id}"]`).waitFor();
  await compareMeeting(phone, m.id, "on a phone");
  await checkNoOverflow(phone, "meetings at 375 px");
  await screenshot(phone, "meetings-phone");
  await phone.goto(fixture.gateway + "/#/meetings/new");
  await phone.locator('[data-test="meeting-form"]').waitFor();
  await checkNoOverflow(phone, "recording a meeting at 375 px");
  await screenshot(phone, "meetings-record-phone");
  checkNoErrors(phone, "meetings on a phone");
});
