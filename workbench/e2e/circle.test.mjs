// The 15-minute life service circle in the coordinator's workbench: with a
// canteen and a health station registered in the coordinator's community
// through the admin API, one open offer to the canteen and one refused by
// the health station with no one left to ask (back with the desk), and a
// household in difficulty with no pairing beside party members, the
// coordinator sees the directory as the service lists it (category, what it
// serves, area, hours, rating, load against capacity), the offer back with
// the desk, and the pairing proposals nearest first; accepting one makes
// the pairing (the service holds it) and the household is proposed no
// more. English on request; a phone's width. Screenshots circle-*.png.
import { api, check, checkNoErrors, checkNoOverflow, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const community = d.communities[0];
const tag = String(Date.now()).slice(-6);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function eventually(what, body) {
  let last;
  for (let i = 0; i < 40; i++) {
    try {
      const value = await body();
      if (value) return value;
      last = "not yet";
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(`${what}: ${last}`);
}

// --- what the coordinator starts from ---------------------------------------------------
const canteen = await api("POST", "/v1/volunteer/providers", {
  name: `幸福长者食堂${tag}`, kind: "PROVIDER_KIND_BUSINESS", category: "PROVIDER_CATEGORY_MEALS",
  skills: ["meals"], community_code: community, zone_codes: [d.zones[0]],
  hours: [{ weekday: 0, start_minute: 600, end_minute: 810 }], capacity: 2,
  contact_name: "赵经理", contact_phone: "0532-88881234", active: true,
});
const station = await api("POST", "/v1/volunteer/providers", {
  name: `社区卫生服务站${tag}`, kind: "PROVIDER_KIND_SOCIAL_ORGANISATION", category: "PROVIDER_CATEGORY_HEALTH_CARE",
  skills: ["health_care"], community_code: community, zone_codes: [d.zones[0]], capacity: 3,
  contact_name: "钱医生", contact_phone: "13912345678", active: true,
});
// Tomorrow 11:00 in the district: the canteen is open.
const tomorrow = (Math.floor((Date.now() / 1000 + 8 * 3600) / 86400) + 1) * 86400000 + 3 * 3600000;
const offer = await api("POST", "/v1/volunteer/dispatches", {
  zone_code: d.zones[0], skill: "meals", at_unix_ms: String(tomorrow), duration_minutes: 60,
  description: `午餐送餐${tag}`, provider_id: canteen.id,
});
check(offer.provider_id === canteen.id && offer.status === "DISPATCH_STATUS_OFFERED",
      `seeded: dispatch ${offer.id} offered to ${canteen.name}`);
const refused = await api("POST", "/v1/volunteer/dispatches", {
  zone_code: d.zones[0], skill: "health_care", at_unix_ms: String(tomorrow), duration_minutes: 60,
  description: `上门测血压${tag}`, pool: "DISPATCH_POOL_PROVIDERS",
});
const back = await api("POST", `/v1/volunteer/dispatches/${refused.id}/decline`, { reason: "今日人手不足", reoffer: true });
check(back.status === "DISPATCH_STATUS_DECLINED" && back.returned_to_desk === true,
      `seeded: dispatch ${back.id} refused with no one left, back with the desk`);
// A household in difficulty, not paired, and party members in the community.
const household = d.households[0][4];
await api("PATCH", `/v1/grid/households/${household}`, { set_flags: true, flags: ["HOUSEHOLD_FLAG_ELDERLY_ALONE"] });
for (const resident of [d.residents[0][1], d.residents[0][2]])
  await api("PATCH", `/v1/grid/residents/${resident}`, { set_party_member: true, party_member: true });
const proposed = await eventually("proposals for the household", async () => {
  const reply = await api("GET", `/v1/volunteer/pairing-proposals?household_code=${household}&per_household=5`);
  return (reply.proposals || []).length >= 2 ? reply.proposals : null;
});

const rowOf = (page, table, text) => page.locator(`[data-test="${table}"] .el-table__body tr`, { hasText: text });

await run(async browser => {
  const page = await newPage(browser);
  await logIn(page, "volunteer_coordinator");
  await page.locator('[data-test="nav-volunteer"]').click();
  await page.locator('[data-test="circle-link"]').click();
  await page.waitForFunction(() => location.hash.startsWith("#/volunteer/circle"));

  // The directory, as the service lists it to the coordinator.
  await rowOf(page, "providers", canteen.id).waitFor();
  const listed = await api("GET", `/v1/volunteer/providers/${canteen.id}`);
  const cells = await rowOf(page, "providers", canteen.id).locator("td").allInnerTexts();
  check(cells[1] === listed.name && cells[2] === "助餐" && cells[3] === "助餐送餐" && cells[4] === "1个网格"
        && cells[5] === "10:00–13:30" && cells[6] === "暂无评价" && cells[7] === `${listed.load} / ${listed.capacity}`
        && cells[8] === `赵经理 ${listed.contact_phone}` && listed.load === 1,
        `provider ${canteen.id}: name, 助餐, 助餐送餐, area, hours, no rating yet, load 1 / 2, contact (${cells.join(" | ")})`);
  const stationCells = await rowOf(page, "providers", station.id).locator("td").allInnerTexts();
  check(stationCells[2] === "卫生保健" && stationCells[5] === "全天" && stationCells[7] === "0 / 3",
        `provider ${station.id}: 卫生保健, any time, 0 / 3 (${stationCells.join(" | ")})`);
  await screenshot(page, "circle-providers");

  // The offer back with the desk.
  await page.locator(".el-tabs__item", { hasText: "超时与退回派单" }).click();
  await rowOf(page, "moved-offers", back.id).waitFor();
  const offerCells = await rowOf(page, "moved-offers", back.id).locator("td").allInnerTexts();
  check(offerCells[1] === "已退回受理台" && offerCells[2] === "卫生保健" && offerCells[6] === "1" && offerCells[7] === "0"
        && offerCells[8] === "今日人手不足",
        `dispatch ${back.id}: back with the desk, one refusal, no time-out, the reason (${offerCells.join(" | ")})`);
  check(await rowOf(page, "moved-offers", offer.id).count() === 0, `the open offer ${offer.id}, never refused, is not listed`);
  await screenshot(page, "circle-offers");

  // The proposals, nearest first; accepting the first makes the pairing.
  await page.locator(".el-tabs__item", { hasText: "相邻就近结对推荐" }).click();
  const group = page.locator(`[data-test="household-${household}"]`);
  await group.waitFor();
  const rows = await group.locator(".el-table__body tr").all();
  check(rows.length === proposed.length, `${proposed.length} proposals for ${household}, as the service gives them`);
  for (let i = 0; i < proposed.length; i++) {
    const c = await rows[i].locator("td").allInnerTexts();
    const words = { PAIRING_PROXIMITY_BUILDING_GROUP: "同楼组", PAIRING_PROXIMITY_ZONE: "同网格",
      PAIRING_PROXIMITY_COMMUNITY: "同社区" };
    check(c[0] === String(proposed[i].rank) && c[1] === proposed[i].member_name
          && c[2] === words[proposed[i].proximity] && c[3] === String(proposed[i].load || 0),
          `proposal ${i + 1}: rank, member, 居住距离 and load as the service has them (${c.slice(0, 4).join(" | ")})`);
  }
  check((await group.locator("h3").innerText()).includes("独居老人"), "the household's difficulty is shown (独居老人)");
  await screenshot(page, "circle-proposals");
  const first = proposed[0];
  await page.locator(`[data-test="accept-${household}-${first.member_resident_id}"]`).click();
  await group.waitFor({ state: "detached" });
  const pairings = await api("GET", `/v1/volunteer/help-pairings?household_code=${household}`);
  check((pairings.pairings || []).length === 1 && pairings.pairings[0].member_resident_id === first.member_resident_id,
        `the service holds the pairing ${pairings.pairings[0].id} of ${first.member_resident_id} with ${household}`);
  await checkNoOverflow(page, "circle page at 1366 px");
  const keys = (await page.evaluate(() => document.body.textContent)).match(/\bvolunteer\.[a-zA-Z.]+/g);
  check(!keys, `no message key shows in place of words${keys ? ": " + keys.join(" ") : ""}`);

  // English on request, and back.
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "en");
  const english = await page.locator(".el-tabs__item").allInnerTexts();
  check(english.join("|") === "Providers|Timed-out and returned offers|Pairing proposals",
        `English on request: ${english.join(" | ")}`);
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  checkNoErrors(page, "circle page");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "volunteer_coordinator");
  await phone.goto(fixture.gateway + "/#/volunteer/circle?tab=providers");
  await rowOf(phone, "providers", canteen.id).waitFor();
  await checkNoOverflow(phone, "providers at 375 px");
  await screenshot(phone, "circle-phone");
  checkNoErrors(phone, "circle page on a phone");
});
