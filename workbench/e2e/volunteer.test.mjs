// The volunteer coordinator's workflow: with two volunteers, a team, two
// pending service records, a pairing and an open dispatch seeded in the
// coordinator's community through the admin API, the coordinator sees the
// volunteers and teams as the service lists them, approves one record and
// returns the other with a reason (the reason is asked for first), sees the
// hours totals the service then gives, adds a contact to a party member's
// pairing, and sees the open dispatch; a role without the duty gets no menu
// entry and lands on the home page. Screenshots at 1366x768 and 375 px.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const community = d.communities[0];
const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
const tag = String(Date.now()).slice(-6);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// Retries a write until the service knows what grid just changed (volunteer
// keeps a copy of grid's residents and households, fed by grid's events).
async function eventually(what, body) {
  let last;
  for (let i = 0; i < 40; i++) {
    try {
      return await body();
    } catch (error) {
      last = error;
      await sleep(250);
    }
  }
  throw new Error(`${what}: ${last}`);
}

function hours(value) {
  return new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 2 }).format(value);
}

// --- what the coordinator starts from ------------------------------------------------
const [residentA, residentB] = [d.residents[0][3], d.residents[0][4]];
const volunteers = [];
for (const resident_id of [residentA, residentB]) {
  // Another workflow's test may have registered the resident already.
  const listed = await api("GET", `/v1/volunteer/volunteers?under=${community}&page_size=500`);
  const known = (listed.volunteers || []).find(v => v.resident_id === resident_id);
  volunteers.push(known || await eventually("register a volunteer", () => api("POST", "/v1/volunteer/volunteers", {
    resident_id, skills: [{ skill: "meals", level: 4 }], availability: [{ weekday: 0, start_minute: 0, end_minute: 1440 }],
  })));
}
const team = await api("POST", "/v1/volunteer/teams", {
  name: `助老服务队${tag}`, type: "VOLUNTEER_TEAM_TYPE_ELDERLY_CARE", community_code: community,
  leader_id: volunteers[0].id, service_brand: "有事找党员", skills: ["meals"],
});
const toApprove = await api("POST", "/v1/volunteer/service-records", {
  volunteer_id: volunteers[0].id, activity: `送餐上门${tag}`, served_on: today, hours: 2.5,
});
const toReturn = await api("POST", "/v1/volunteer/service-records", {
  volunteer_id: volunteers[1].id, activity: `楼道清扫${tag}`, served_on: today, hours: 1.5,
});
// A party member paired with a household in difficulty.
await api("PATCH", `/v1/grid/residents/${residentB}`, { set_party_member: true, party_member: true });
const household = d.households[0][6];
await api("PATCH", `/v1/grid/households/${household}`, { set_flags: true, flags: ["HOUSEHOLD_FLAG_LOW_INCOME"] });
const pairings = await api("GET", `/v1/volunteer/help-pairings?household_code=${household}`);
const pairing = (pairings.pairings || [])[0] || await eventually("pair a party member", () =>
  api("POST", "/v1/volunteer/help-pairings", { member_resident_id: residentB, household_code: household }));
const dispatch = await api("POST", "/v1/volunteer/dispatches", {
  zone_code: d.zones[0], skill: "meals", duration_minutes: 60, description: `为独居老人送午餐${tag}`,
  pool: "DISPATCH_POOL_VOLUNTEERS",
});
check(dispatch.status === "DISPATCH_STATUS_OFFERED", `seeded: dispatch ${dispatch.id} offered to ${dispatch.assignee_name}`);

const rowOf = (page, table, text) => page.locator(`[data-test="${table}"] .el-table__body tr`, { hasText: text });

await run(async browser => {
  const page = await newPage(browser);
  await logIn(page, "volunteer_coordinator");
  check(await page.locator('[data-test="nav-volunteer"]').count() === 1, "the coordinator's menu has 志愿服务");
  await page.locator('[data-test="nav-volunteer"]').click();
  await page.waitForSelector('[data-test="volunteers"] .el-table__body tr');
  const unitName = (await api("GET", `/v1/grid/units/${community}`)).name;
  await page.waitForFunction(name => document.querySelector('[data-test="vol-unit"]').innerText.includes(name), unitName);
  check((await page.locator('[data-test="vol-unit"]').innerText()).includes(`${unitName}（${community}）`),
        `the page works over the coordinator's community ${unitName}（${community}）`);

  // Volunteers and teams, as the service lists them to the coordinator.
  for (const v of volunteers) {
    const shown = await api("GET", `/v1/volunteer/volunteers/${v.id}`);
    const cells = await rowOf(page, "volunteers", v.id).locator("td").allInnerTexts();
    check(cells[0] === shown.id && cells[1] === shown.name && cells[2] === shown.zone_code,
          `volunteer ${v.id}: id, name ${shown.name} and zone as the service gives them (${cells.slice(0, 3).join(" | ")})`);
    check(!/\s/.test(cells[1]), `volunteer ${v.id}: the name has no space in it`);
  }
  const teamCells = await rowOf(page, "teams", team.id).locator("td").allInnerTexts();
  check(teamCells[1] === team.name && teamCells[2] === "助老服务" && teamCells[3] === volunteers[0].name
        && teamCells[4] === "1" && teamCells[5] === "有事找党员",
        `team ${team.id}: name, type 助老服务, leader, members and brand (${teamCells.join(" | ")})`);
  await screenshot(page, "volunteer-list");

  // Pending service hours: approve one, return the other with a reason.
  await page.locator(".el-tabs__item", { hasText: "服务时长审核" }).click();
  await page.waitForSelector(`[data-test="approve-${toApprove.id}"]`);
  const pendingCells = await rowOf(page, "pending", toApprove.id).locator("td").allInnerTexts();
  check(pendingCells[2].includes(volunteers[0].name) && pendingCells[3] === toApprove.activity
        && pendingCells[4] === today && pendingCells[5] === "2.5",
        `pending record ${toApprove.id}: volunteer, activity, day and hours (${pendingCells.slice(1, 6).join(" | ")})`);
  await screenshot(page, "volunteer-hours");
  await page.locator(`[data-test="approve-${toApprove.id}"]`).click();
  await rowOf(page, "pending", toApprove.id).waitFor({ state: "detached" });
  await page.locator(`[data-test="reject-${toReturn.id}"]`).click();
  await page.locator('[data-test="reject-submit"]').click();
  await page.waitForSelector('[data-test="reject-dialog"] .el-form-item__error');
  check((await page.locator('[data-test="reject-dialog"] .el-form-item__error').innerText()).trim() === "请填写退回原因",
        "returning hours without a reason asks for one (请填写退回原因)");
  const reason = "签到记录只有1小时，请核实后重新提交";
  await page.locator(field("reject-reason")).fill(reason);
  await page.locator('[data-test="reject-submit"]').click();
  await rowOf(page, "pending", toReturn.id).waitFor({ state: "detached" });

  const approved = await api("GET", `/v1/volunteer/service-records/${toApprove.id}`);
  const returned = await api("GET", `/v1/volunteer/service-records/${toReturn.id}`);
  check(approved.status === "SERVICE_RECORD_STATUS_APPROVED" && approved.reviewed_by !== "" && approved.hours === 2.5,
        `the service holds ${toApprove.id} approved by ${approved.reviewed_by}`);
  check(returned.status === "SERVICE_RECORD_STATUS_DECLINED" && returned.review_note === reason,
        `the service holds ${toReturn.id} returned with the reason as typed`);
  const totals = await api("GET", `/v1/volunteer/hours?under=${community}&group_by=HOURS_GROUPING_VOLUNTEER`);
  await page.waitForFunction(([text]) => document.querySelector('[data-test="approved-total"]').innerText.includes(text),
                             [`${hours(totals.hours)} 小时（${totals.records} 条）`]);
  check(true, `the approved total on screen is the service's: ${hours(totals.hours)} hours in ${totals.records} records`);
  const mine = totals.totals.find(x => x.key === volunteers[0].id);
  const totalCells = await rowOf(page, "hours-totals", volunteers[0].id).locator("td").allInnerTexts();
  check(mine && totalCells[2] === hours(mine.hours) && totalCells[3] === String(mine.records) && mine.hours >= 2.5,
        `${volunteers[0].id}'s approved hours on screen (${totalCells[2]}) are the service's (${mine && mine.hours})`);
  const pendingLeft = await api("GET", `/v1/volunteer/service-records?under=${community}&status=SERVICE_RECORD_STATUS_PENDING`);
  const left = pendingLeft.records || [];
  check((await page.locator('[data-test="pending-count"]').innerText()).includes(`待审核 ${left.length} 条`),
        `the pending count on screen is the service's (${left.length})`);

  // A party member's pairing: its contact log, and a contact added.
  await page.locator(".el-tabs__item", { hasText: "结对帮扶" }).click();
  await rowOf(page, "pairings", pairing.id).click();
  await page.waitForSelector('[data-test="contact-form"]');
  await page.locator('[data-test="kind-CONTACT_KIND_HELP"]').click();
  await page.locator(field("contact-note")).fill("上门了解生活情况，老人身体尚可");
  // Help given unsaid: the service refuses it, said beside the field, nothing written, the note kept.
  await page.locator('[data-test="contact-submit"]').click();
  await page.waitForSelector('[data-test="contact-form"] .el-form-item__error');
  const helpRefusal = (await page.locator('[data-test="contact-form"] .el-form-item__error').innerText()).trim();
  const none = (await api("GET", `/v1/volunteer/help-contacts?pairing_id=${pairing.id}`)).contacts || [];
  check(helpRefusal === "请填写帮扶内容" && none.length === 0
        && await page.locator(field("contact-note")).inputValue() === "上门了解生活情况，老人身体尚可",
        `a help contact without the help given is refused beside the field (${helpRefusal}), nothing written, the note kept`);
  await page.locator(field("contact-help")).fill("米和油各一份");
  await page.locator('[data-test="contact-submit"]').click();
  await rowOf(page, "contacts", "米和油各一份").waitFor();
  const logged = (await api("GET", `/v1/volunteer/help-contacts?pairing_id=${pairing.id}`)).contacts;
  const added = logged.find(c => c.help_given === "米和油各一份");
  check(added && added.kind === "CONTACT_KIND_HELP" && added.note === "上门了解生活情况，老人身体尚可"
        && added.household_code === household, `the service holds the contact as typed (${added && added.id})`);
  const contactCells = await rowOf(page, "contacts", "米和油各一份").locator("td").allInnerTexts();
  check(contactCells[1] === "帮扶" && contactCells[2] === added.note, `the contact log shows it: ${contactCells.join(" | ")}`);
  const after = await api("GET", `/v1/volunteer/help-pairings?household_code=${household}`);
  const pairingCells = await rowOf(page, "pairings", pairing.id).locator("td").allInnerTexts();
  check(pairingCells[4] === String(after.pairings[0].contacts) && pairingCells[3] === "低保低收入"
        && pairingCells[1] === after.pairings[0].member_name,
        `pairing ${pairing.id}: member, difficulty 低保低收入 and ${after.pairings[0].contacts} contacts as the service has them`);
  await screenshot(page, "volunteer-pairing");

  // Open dispatches.
  await page.locator(".el-tabs__item", { hasText: "派单" }).click();
  await rowOf(page, "dispatches", dispatch.id).waitFor();
  const dispatchRow = async () => (await rowOf(page, "dispatches", dispatch.id).locator("td").allInnerTexts()).join(" | ");
  const dispatchCells = await rowOf(page, "dispatches", dispatch.id).locator("td").allInnerTexts();
  check(dispatchCells[1] === "待答复" && dispatchCells[3] === "助餐送餐" && dispatchCells[4] === dispatch.zone_code
        && dispatchCells[5] === dispatch.assignee_name && dispatchCells[8] === dispatch.description,
        `dispatch ${dispatch.id}: 待答复, zone, assignee and description (${dispatchCells.join(" | ")})`);
  await checkNoOverflow(page, "volunteer page at 1366 px");
  const keys = (await page.evaluate(() => document.body.textContent)).match(/\b(volunteer|app|status|unitKind)\.[a-zA-Z]+/g);
  check(!keys, `no message key shows in place of words${keys ? ": " + keys.join(" ") : ""}`);
  // English on request, and back.
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "en");
  const english = await page.locator(".el-tabs__item").allInnerTexts();
  check(english.join("|") === "Volunteers and teams|Service hours|Pairings|Dispatches"
        && (await dispatchRow()).includes("Offered") && (await dispatchRow()).includes("Meal delivery"),
        `English on request: ${english.join(" | ")}`);
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  checkNoErrors(page, "volunteer page");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "volunteer_coordinator");
  await phone.goto(fixture.gateway + "/#/volunteer?tab=hours");
  await phone.waitForSelector('[data-test="hours-totals"] .el-table__body tr');
  await checkNoOverflow(phone, "service hours at 375 px");
  await screenshot(phone, "volunteer-phone");
  await phone.goto(fixture.gateway + "/#/volunteer?tab=pairings");
  await rowOf(phone, "pairings", pairing.id).click();
  await phone.waitForSelector('[data-test="contact-form"]');
  await checkNoOverflow(phone, "pairings at 375 px");
  await screenshot(phone, "volunteer-phone-pairing");
  checkNoErrors(phone, "volunteer page on a phone");

  // Not the appraisal office's work: no menu entry, and the route lands home.
  const other = await newPage(browser);
  await logIn(other, "appraisal_office");
  check(await other.locator('[data-test="nav-volunteer"]').count() === 0, "the appraisal office has no 志愿服务 entry");
  await other.goto(fixture.gateway + "/#/volunteer");
  await other.waitForFunction(() => location.hash === "#/");
  check(await other.locator('[data-test="volunteers"]').count() === 0, "the appraisal office opening /volunteer lands home");
  checkNoErrors(other, "appraisal office's pages");
});
