// Grid: a zone cadre opens their zone's page (its place, counts, building
// groups, the street cadre and committee member, the community's paired
// departments, households and residents as grid gives them to the cadre),
// opens a resident's card (birth date and phone masked, the identity number
// never whole), asks for the whole record with a reason and sees it; the
// audit row is read back with the admin API. A resident outside the cadre's
// zone is refused in Chinese; a leader reads the card masked with no reveal
// button; a privacy officer has no grid page at all. Phones at 375 px.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const zoneCode = d.zones[0];
const cadre = fixture.people.zone_cadre;
const mask = {
  name: n => Array.from(n)[0] + "*".repeat(Array.from(n).length - 1),
  birth: b => b.slice(0, 4) + "-**-**",
  // A resident registered without a phone (other tests' residents share the
  // zone) shows an empty cell, not a masked one.
  phone: p => p ? p.slice(0, 3) + "****" + p.slice(-4) : "",
};

async function seed() {
  // A street cadre for the zone beside the committee member the district has.
  const responsible = await api("GET", `/v1/grid/units/${zoneCode}/responsible`);
  if (!(responsible.responsibilities || []).some(r => r.unit_code === zoneCode
                                                 && r.kind === "RESPONSIBILITY_KIND_ZONE_CADRE")) {
    const staff = await api("POST", "/v1/grid/staff", { name: "王建国", kind: "STAFF_KIND_STREET_CADRE",
                                                         unit_code: d.streets[0], active: true });
    await api("POST", "/v1/grid/responsibilities", { staff_id: staff.id, unit_code: zoneCode,
                                                     kind: "RESPONSIBILITY_KIND_ZONE_CADRE" });
  }
  if (!(responsible.pairings || []).some(p => p.department_code === "civil-affairs"))
    await api("POST", "/v1/grid/pairings", { department_code: "civil-affairs", community_code: d.communities[0] });
  await api("PATCH", `/v1/grid/households/${d.households[0][0]}`,
            { set_flags: true, flags: ["HOUSEHOLD_FLAG_ELDERLY_ALONE"] });
}

async function cells(page, table) {
  return page.locator(`[data-test="${table}"] .el-table__body tr`).evaluateAll(rows =>
    rows.map(r => Array.from(r.querySelectorAll("td"), td => td.innerText.trim())));
}

await run(async browser => {
  await seed();
  const zone = await api("GET", `/v1/grid/zones/${zoneCode}`);
  const responsibleFor = await api("GET", `/v1/grid/units/${zoneCode}/responsible`);
  const allHouseholds = (await api("GET", `/v1/grid/households?under=${zoneCode}&page_size=200`)).households;
  const allResidents = (await api("GET", `/v1/grid/residents?under=${zoneCode}&page_size=200`)).residents;

  // The cadre's zone page, opened from the home page.
  const page = await newPage(browser);
  await logIn(page, "zone_cadre");
  check(await page.locator('[data-test="nav-grid"]').innerText() === "网格", "the cadre's menu has 网格");
  await page.locator('[data-test="open-grid"]').click();
  await page.waitForSelector('[data-test="grid-zone-name"]');
  check(page.url().endsWith(`#/grid/zones/${zoneCode}`), `the cadre's page opens on their zone ${zoneCode}`);
  const text = async sel => (await page.locator(`[data-test="${sel}"]`).innerText()).trim();
  check(await text("grid-zone-name") === zone.zone.name, `zone name ${zone.zone.name}`);
  check(await text("grid-zone-code") === zoneCode, "zone code");
  check(await text("grid-zone-households") === String(zone.households), `households ${zone.households}`);
  check(await text("grid-zone-residents") === String(zone.residents), `residents ${zone.residents}`);
  const pathNames = responsibleFor.path.filter(u => u.kind !== "UNIT_KIND_ZONE").map(u => u.name).join(" / ");
  check(await text("grid-zone-path") === pathNames, `where it lies: ${pathNames}`);
  const cadreRow = zone.responsible.find(r => r.kind === "RESPONSIBILITY_KIND_ZONE_CADRE");
  const committeeRow = zone.responsible.find(r => r.kind === "RESPONSIBILITY_KIND_ZONE_COMMITTEE");
  check(await text("grid-cadre") === cadreRow.staff_name, `street cadre ${cadreRow.staff_name}`);
  check(await text("grid-committee") === committeeRow.staff_name, `committee member ${committeeRow.staff_name}`);
  const groups = (await page.locator('[data-test="grid-building-groups"] .el-tag').allInnerTexts()).map(g => g.trim());
  check(JSON.stringify(groups) === JSON.stringify(zone.building_groups.map(g => g.name)),
        `building groups ${groups.join(",")}`);
  const pairingText = await text("grid-pairings");
  check(responsibleFor.pairings.length > 0 && responsibleFor.pairings.every(p => pairingText.includes(p.department_name)),
        `paired departments: ${pairingText}`);

  const householdRows = await cells(page, "grid-households");
  check(householdRows.length === allHouseholds.length, `${allHouseholds.length} households listed`);
  for (const h of allHouseholds) {
    const row = householdRows.find(r => r[0] === h.code);
    const flags = (h.flags || []).map(f => ({ HOUSEHOLD_FLAG_ELDERLY_ALONE: "空巢独居老人" })[f] || f).join(" ");
    check(row && row[1] === h.address && row[2] === flags && row[3] === String(h.residents),
          `household ${h.code}: ${row && row.join(" | ")}`);
  }
  const residentRows = await cells(page, "grid-residents");
  check(residentRows.length === allResidents.length, `${allResidents.length} residents listed`);
  for (const r of allResidents) {
    const row = residentRows.find(x => x[4] === r.household_code && x[0] === r.name);
    check(row && row[2] === mask.birth(r.birth_date) && row[3] === mask.phone(r.phone),
          `resident ${r.id} in clear by name, birth date and phone masked: ${row && row.join(" | ")}`);
  }
  await screenshot(page, "grid-zone");
  checkNoErrors(page, "zone page");

  // A resident's card, then the whole record with a reason.
  const residentId = d.residents[0][0];
  const resident = await api("GET", `/v1/grid/residents/${residentId}`);
  const household = await api("GET", `/v1/grid/households/${resident.household_code}`);
  await page.locator(`[data-test="grid-resident-${residentId}"]`).click();
  await page.waitForSelector('[data-test="card-name"]');
  check(await text("card-name") === resident.name, `card: name ${resident.name}`);
  check(await text("card-birth-date") === mask.birth(resident.birth_date), "card: birth date masked");
  check(await text("card-phone") === mask.phone(resident.phone), "card: phone masked");
  check(await text("card-id-number") === resident.id_number_masked && /\*{8}/.test(resident.id_number_masked),
        `card: ID number masked ${resident.id_number_masked}`);
  check(await text("card-household") === resident.household_code, "card: household");
  check(await text("card-relation") === "户主", "card: relation 户主");
  const gender = { GENDER_FEMALE: "女", GENDER_MALE: "男" }[resident.gender] || "未知";
  check(await text("card-gender") === gender, `card: gender ${gender}`);
  await page.locator('[data-test="reveal-open"]').click();
  await page.waitForSelector('[data-test="reveal-reason"]', { state: "visible" });
  await page.locator('[data-test="reveal-submit"]').click();
  await page.waitForSelector('.el-dialog .el-form-item__error');
  check((await page.locator(".el-dialog .el-form-item__error").innerText()).trim() === "请填写查看事由",
        "no reason: 请填写查看事由 beside the field, nothing sent");
  const reason = "核实独居老人走访信息";
  await page.locator(field("reveal-reason")).fill(reason);
  await screenshot(page, "grid-reveal-dialog");
  const since = Date.now() - 60000;
  await page.locator('[data-test="reveal-submit"]').click();
  await page.waitForSelector('[data-test="revealed-phone"]');
  check(await text("revealed-birth-date") === resident.birth_date, `revealed birth date ${resident.birth_date}`);
  check(await text("revealed-phone") === resident.phone, "revealed phone in full");
  check(await text("revealed-address") === household.address, `revealed address ${household.address}`);
  check(await text("revealed-flags") === "空巢独居老人", "revealed flags");
  check(await text("revealed-id-number") === resident.id_number_masked, "the ID number stays masked");
  check(await page.locator('[data-test="reveal-open"]').count() === 0, "the reveal button goes once revealed");
  await screenshot(page, "grid-revealed");
  const log = (await api("GET", `/v1/grid/access-log?resident_id=${residentId}&actor=${cadre.staff_id}`
                               + `&since_unix_ms=${since}`)).entries;
  check(log.length === 1, `one audit row for the reveal (${log.length})`);
  const entry = log[0];
  check(entry.kind === "reveal" && entry.method === "ResidentReveal" && entry.account === cadre.login
        && entry.reason === reason && entry.rows === 1 && JSON.stringify(entry.resident_ids) === JSON.stringify([residentId])
        && entry.roles.includes("zone_cadre") && /wb-[0-9a-f]{24}$/.test(entry.request_id),
        `audit row: ${JSON.stringify(entry)}`);

  // Outside the cadre's zone: grid says not found, the page says it in Chinese.
  await page.goto(`${fixture.gateway}/#/grid/residents/${d.residents[1][0]}`);
  await page.waitForSelector('[data-test="error"]');
  check((await page.locator('[data-test="error"]').innerText()).includes("未找到")
        && await page.locator('[data-test="card-name"]').count() === 0,
        "a resident of another zone: 未找到, no card");
  checkNoErrors(page, "cadre's pages");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "zone_cadre");
  await phone.goto(`${fixture.gateway}/#/grid/zones/${zoneCode}`);
  await phone.waitForSelector('[data-test="grid-residents"] .el-table__body tr');
  await checkNoOverflow(phone, "zone page at 375 px");
  await screenshot(phone, "grid-zone-phone");
  await phone.goto(`${fixture.gateway}/#/grid/residents/${residentId}`);
  await phone.waitForSelector('[data-test="card-name"]');
  await phone.locator('[data-test="reveal-open"]').click();
  await phone.waitForSelector('[data-test="reveal-reason"]', { state: "visible" });
  await checkNoOverflow(phone, "resident card and reveal dialog at 375 px");
  await screenshot(phone, "grid-card-phone");
  checkNoErrors(phone, "phone pages");
  await phone.context().close();

  // A leader reads the card masked, with no reveal.
  const leader = await newPage(browser);
  await logIn(leader, "leader");
  await leader.goto(`${fixture.gateway}/#/grid/residents/${residentId}`);
  await leader.waitForSelector('[data-test="card-name"]');
  check((await leader.locator('[data-test="card-name"]').innerText()).trim() === mask.name(resident.name),
        `leader: name masked ${mask.name(resident.name)}`);
  check(await leader.locator('[data-test="reveal-open"]').count() === 0, "leader: no reveal button");
  await screenshot(leader, "grid-card-leader");
  checkNoErrors(leader, "leader's card");
  await leader.context().close();

  // A privacy officer has no grid page.
  const privacy = await newPage(browser);
  await logIn(privacy, "privacy_officer");
  check(await privacy.locator('[data-test="open-grid"]').count() === 0
        && await privacy.locator('[data-test="nav-grid"]').count() === 0, "privacy officer: no grid in the menu or on the home page");
  await privacy.goto(`${fixture.gateway}/#/grid/residents/${residentId}`);
  await privacy.waitForFunction(() => location.hash === "#/");
  check(await privacy.locator('[data-test="card-name"]').count() === 0, "privacy officer: the route lands on home");
  await privacy.context().close();
});
