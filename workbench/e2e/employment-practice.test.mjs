// Employment counsellor's follow-through and the enterprises' 招工难: the
// visits due after a placement and after start-up support (overdue ones
// marked), one recorded through the page; the separations of the last three
// months with their reasons; the incubation base of the community with its
// tenant; and the hiring figures of the street by industry and by street with
// the vacancies unfilled longest. Then a separation recorded on the person's
// page (离职登记, with a reason the API accepts: they seek work again), a
// business admitted to the base and the earlier tenant moved out, through
// the page. Everything shown is compared with employment's records read back
// with the admin API. Phones at 375 px.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const day = offset => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" })
  .format(new Date(Date.now() + offset * 86400000));
const today = day(0);
const stamp = Date.now() % 100000;

function idNumber(body17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body17].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return body17 + "10X98765432"[sum % 11];
}
function creditCode(body17) {
  const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const sum = [...body17].reduce((s, c, i) => s + alphabet.indexOf(c) * w[i], 0);
  return body17 + alphabet[(31 - (sum % 31)) % 31];
}
async function retry(what, fn, times = 40) {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= times) throw new Error(`${what}: ${e}`);
      await new Promise(r => setTimeout(r, 250));
    }
  }
}

// Three residents of the counsellor's community, registered half a year
// ago: one placed forty days ago (the first visit fell due ten days ago),
// one placed a hundred days ago who left five days ago (resigned), one
// supported as an entrepreneur ninety-five days ago and a tenant of the
// community's incubation base; a restaurant with a vacancy open two months.
async function seed() {
  const names = ["钱晓梅", "孙国强", "李红霞"];
  const residents = [];
  for (let i = 0; i < 3; i++) {
    const body = `37020319${86 + i}0612${String((stamp + i) % 1000).padStart(3, "0")}`.slice(0, 17);
    residents.push(await api("POST", "/v1/grid/residents", { household_code: d.households[0][3 + i], name: names[i],
      id_number: idNumber(body), relation: "child" }));
  }
  for (const r of residents)
    await retry(`register ${r.id}`, () => api("POST", "/v1/employment/persons", { resident_id: r.id,
      status: "LABOR_STATUS_UNEMPLOYED", seeking_work: true, registered_on: day(-200) }));
  const enterprise = { credit_code: creditCode(`91370205${String(600000000 + stamp)}`),
    name: `青岛福寿餐饮有限公司${stamp}`, zone_code: d.zones[0], address: "福寿路6号", industry: "住宿和餐饮业" };
  await retry("enterprise", () => api("POST", "/v1/employment/enterprises", enterprise));
  const vacancy = await api("POST", "/v1/employment/vacancies", { enterprise_credit_code: enterprise.credit_code,
    title: "面点师", occupation_code: "4-03-02-02", positions: 4, full_time: true, wage_min: 4200, wage_max: 5200,
    opens_on: day(-60) });
  const placed = await api("POST", "/v1/employment/placements", { resident_id: residents[0].id, vacancy_id: vacancy.id,
    enterprise_credit_code: enterprise.credit_code, kind: "PLACEMENT_KIND_ENTERPRISE",
    source: "PLACEMENT_SOURCE_SERVICE_CENTRE", full_time: true, start_date: day(-40) });
  const left = await api("POST", "/v1/employment/placements", { resident_id: residents[1].id,
    occupation_code: "4-03-02-02", enterprise_credit_code: enterprise.credit_code, kind: "PLACEMENT_KIND_ENTERPRISE",
    source: "PLACEMENT_SOURCE_JOB_FAIR", full_time: true, start_date: day(-100) });
  await api("POST", `/v1/employment/placements/${left.id}/end`, { end_date: day(-5),
    reason: "SEPARATION_REASON_RESIGNED", note: "照顾家中老人" });
  const support = await api("POST", "/v1/employment/supports", { resident_id: residents[2].id,
    business_name: `红霞手工坊${stamp}`, subsidy_yuan: 10000, granted_on: day(-95) });
  const base = await api("POST", "/v1/employment/incubation-bases", { name: `福寿社区创业孵化基地${stamp}`,
    address: "福寿路1号", zone_code: d.zones[0], operator_name: "福寿社区居委会", capacity: 12, opened_on: day(-400) });
  await api("POST", "/v1/employment/incubation-tenants", { base_id: base.id, business_name: support.business_name,
    resident_id: residents[2].id, support_id: support.id, entered_on: day(-95) });
  // A young woman, not registered: the 4050 category is refused her.
  const young = await api("POST", "/v1/grid/residents", { household_code: d.households[0][6], name: "周小雨",
    id_number: idNumber(`37020319960304${String(stamp % 1000).padStart(3, "0")}`), relation: "child" });
  return { residents, enterprise, vacancy, placed, left, support, base, young };
}

// The rows of a table, not those of a table nested in one (an expanded row).
async function rows(page, table) {
  return page.locator(`[data-test="${table}"]`).first().evaluate(root =>
    Array.from(root.querySelectorAll(".el-table__body-wrapper tr.el-table__row"))
      .filter(tr => tr.closest(".el-table") === root)
      .map(r => Array.from(r.querySelectorAll(":scope > td"), td => td.innerText.replace(/\s+/g, " ").trim())));
}

const KINDS = { FOLLOW_UP_KIND_PLACEMENT: "就业回访", FOLLOW_UP_KIND_STARTUP: "创业跟踪" };

await run(async browser => {
  const seeded = await seed();
  const unit = fixture.people.employment_counsellor.unit;
  const page = await newPage(browser);
  await logIn(page, "employment_counsellor");
  await page.goto(`${fixture.gateway}/#/employment`);

  // A category's rule refuses in Chinese, on the field, and nothing is written.
  await page.locator(field("emp-resident-id")).fill(seeded.young.id);
  await page.locator('[data-test="emp-difficulty-DIFFICULTY_CATEGORY_AGED_4050"]').click();
  await retry("the 4050 refusal", async () => {
    await page.locator('[data-test="emp-register"]').click({ timeout: 5000 });
    await page.waitForSelector('[data-test="emp-register-form"] .el-form-item__error', { timeout: 2000 });
    const said = await page.locator('[data-test="emp-register-form"] .el-form-item__error').first().innerText();
    if (!said.includes("4050")) throw new Error(said);   // employment learning of the resident from grid
  }, 10);
  const said = (await page.locator('[data-test="emp-register-form"] .el-form-item__error').first().innerText()).trim();
  check(/^“4050”人员须女满40周岁、男满50周岁（\d{4}-\d\d-\d\d 时 (29|30) 周岁）$/.test(said), `refused in Chinese: ${said}`);
  check(await api("GET", `/v1/employment/persons/${seeded.young.id}`).then(() => false, e => /404|NOT_FOUND/.test(String(e))),
        "the refused person is not registered");
  // The disabled category asks for the certificate.
  await page.locator('[data-test="emp-difficulty-DIFFICULTY_CATEGORY_AGED_4050"]').click();
  await page.locator('[data-test="emp-difficulty-DIFFICULTY_CATEGORY_DISABLED"]').click();
  await page.waitForSelector(field("emp-disability-certificate"));
  await page.locator('[data-test="emp-register"]').click();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test="emp-register-form"] .el-form-item__error')]
    .some(e => e.innerText.includes("残疾人证")), null, { timeout: 5000 }).catch(() => {});
  const errors = await page.locator('[data-test="emp-register-form"] .el-form-item__error').allInnerTexts();
  check(errors.some(e => e.trim() === "认定残疾人须填写残疾人证号"), `the certificate asked for: ${errors.join(" / ")}`);
  await screenshot(page, "employment-category-refused");

  await page.locator('[data-test="emp-follow-ups-link"]').click();
  await page.waitForSelector('[data-test="emp-visits"] .el-table__body-wrapper tr.el-table__row');

  // The visits due: as employment lists them for the community, overdue marked.
  const query = `under=${unit}&pending_only=true&due_by=${day(28)}&page_size=200`;
  let due = (await api("GET", `/v1/employment/follow-ups?${query}`)).follow_ups;
  let shown = await rows(page, "emp-visits");
  check(shown.length === due.length && due.length >= 3, `${due.length} visits due listed (${shown.length} shown)`);
  due.forEach((f, i) => {
    const expected = [f.due_on, f.overdue ? "已逾期" : "未到期", `${KINDS[f.kind]} · 第 ${f.step} 次`, f.resident_id, f.subject];
    check(JSON.stringify(shown[i].slice(0, 5)) === JSON.stringify(expected), `visit ${i + 1}: ${shown[i].slice(0, 5).join(" | ")}`);
  });
  const mine = due.filter(f => seeded.residents.some(r => r.id === f.resident_id));
  const first = mine.find(f => f.placement_id === seeded.placed.id && f.step === 1);
  const separated = mine.find(f => f.placement_id === seeded.left.id);
  const startup = mine.find(f => f.support_id === seeded.support.id);
  check(first && first.overdue && first.subject === seeded.enterprise.name,
        "the first visit after the placement forty days ago is overdue");
  check(separated && separated.step === 2 && separated.overdue
        && !mine.some(f => f.placement_id === seeded.left.id && f.step === 3),
        "the separated placement keeps its visit due before the separation, not the one after");
  check(startup && startup.kind === "FOLLOW_UP_KIND_STARTUP" && startup.step === 1 && startup.overdue
        && startup.subject === seeded.support.business_name, "the start-up's visit after three months is overdue");
  await screenshot(page, "employment-follow-ups");

  // Record the placement's first visit.
  await page.locator(`[data-test="emp-visit-${first.id}"]`).click();
  await page.waitForSelector('[data-test="emp-visit-dialog"]', { state: "visible" });
  await page.locator('[data-test="emp-visit-outcome"]').click();
  await page.waitForSelector('[data-test="emp-outcome-FOLLOW_UP_OUTCOME_STILL_EMPLOYED"]', { state: "visible" });
  const offered = (await page.locator('[data-test^="emp-outcome-"]:visible').allInnerTexts()).map(x => x.trim()).join("、");
  check(offered === "在岗稳定、已离岗、需要帮扶、未联系上", `a placement's visit offers its outcomes: ${offered}`);
  await page.locator('[data-test="emp-outcome-FOLLOW_UP_OUTCOME_STILL_EMPLOYED"]').click();
  await page.locator('textarea[data-test="emp-visit-note"], [data-test="emp-visit-note"] textarea').first().fill("在岗稳定，已适应面点岗位");
  await screenshot(page, "employment-follow-up-record");
  await page.locator('[data-test="emp-visit-save"]').click();
  await page.waitForSelector('[data-test="emp-visit-recorded"]');
  check((await page.locator('[data-test="emp-visit-recorded"]').innerText()).includes(`已记录回访：${first.resident_id}，在岗稳定`),
        "the page says the visit is recorded");
  const after = (await api("GET", `/v1/employment/follow-ups?resident_id=${first.resident_id}`)).follow_ups
    .find(f => f.id === first.id);
  check(after.visited_on === today && after.outcome === "FOLLOW_UP_OUTCOME_STILL_EMPLOYED"
        && after.note === "在岗稳定，已适应面点岗位" && !after.overdue
        && after.visitor_id === fixture.people.employment_counsellor.staff_id,
        `employment holds the visit (${after.visited_on}, ${after.outcome}, by ${after.visitor_id})`);
  due = (await api("GET", `/v1/employment/follow-ups?${query}`)).follow_ups;
  await page.waitForFunction(n => document.querySelectorAll('[data-test="emp-visits"] .el-table__body-wrapper tr.el-table__row').length === n,
                             due.length, { timeout: 5000 }).catch(() => {});
  shown = await rows(page, "emp-visits");
  check(shown.length === due.length && !due.some(f => f.id === first.id), "the recorded visit leaves the list");

  // Separations of the last three months, with their reasons.
  const ended = (await api("GET", `/v1/employment/placements?under=${unit}&ended_from=${day(-90)}&ended_to=${today}&page_size=200`))
    .placements.sort((a, b) => b.end_date.localeCompare(a.end_date));
  const separations = await rows(page, "emp-separations");
  const REASONS = { SEPARATION_REASON_RESIGNED: "本人辞职", SEPARATION_REASON_CONTRACT_ENDED: "劳动合同期满",
    SEPARATION_REASON_DISMISSED: "单位解除", SEPARATION_REASON_MUTUAL: "协商解除",
    SEPARATION_REASON_ENTERPRISE_CLOSED: "单位关闭、破产", SEPARATION_REASON_OTHER: "其他" };
  check(separations.length === ended.length, `${ended.length} separations listed`);
  ended.forEach((p, i) => {
    const expected = [p.end_date, p.resident_id, p.employer_name, REASONS[p.separation_reason] || "未说明"];
    check(JSON.stringify(separations[i]) === JSON.stringify(expected), `separation ${i + 1}: ${separations[i].join(" | ")}`);
  });
  check(ended.some(p => p.id === seeded.left.id && p.separation_reason === "SEPARATION_REASON_RESIGNED"
                   && p.separation_note === "照顾家中老人"), "the separation five days ago, resigned");
  check((await api("GET", `/v1/employment/persons/${seeded.residents[1].id}`)).seeking_work,
        "who left seeks work again");

  // Their page: each period of their labour status with the event that began it, newest first.
  await page.locator('[data-test="emp-separations"] a', { hasText: seeded.residents[1].id }).click();
  await page.waitForSelector('[data-test="emp-history"] .el-table__body-wrapper tr.el-table__row');
  const periods = (await api("GET", `/v1/employment/persons/${seeded.residents[1].id}/history`)).changes.reverse();
  const STATUSES = { LABOR_STATUS_UNEMPLOYED: "登记失业", LABOR_STATUS_EMPLOYED: "已就业" };
  const EVENTS = { STATUS_EVENT_REGISTRATION: "就业失业登记", STATUS_EVENT_PLACEMENT: "就业登记", STATUS_EVENT_SEPARATION: "离职" };
  // 说明: employment's words for its own events, read in Chinese (the placement's number kept).
  const SAID = [[/^registered$/, "首次登记"], [/^placement (\d+) ended$/, "就业记录 $1 终止"], [/^placement (\d+)$/, "就业记录 $1"]];
  const reasonZh = reason => SAID.reduce((text, [from, to]) => (from.test(reason) ? reason.replace(from, to) : text), reason);
  const history = await rows(page, "emp-history");
  check(JSON.stringify(history) === JSON.stringify(periods.map(p => [STATUSES[p.status], p.effective_on, p.until || "至今",
    EVENTS[p.event], reasonZh(p.reason)]))
    && periods.every(p => /^(registered|placement \d+( ended)?)$/.test(p.reason))
    && periods.map(p => p.event).join() === "STATUS_EVENT_SEPARATION,STATUS_EVENT_PLACEMENT,"
    + "STATUS_EVENT_REGISTRATION" && periods[0].effective_on === day(-4) && periods[1].until === day(-5),
        `the periods: ${history.map(r => r.join(" | ")).join(" / ")}`);
  await screenshot(page, "employment-person-history");
  await page.goBack();
  await page.waitForSelector('[data-test="emp-bases"] .el-table__body-wrapper tr.el-table__row');

  // The incubation bases and the tenant.
  const bases = (await api("GET", `/v1/employment/incubation-bases?under=${unit}`)).bases;
  const baseRows = await rows(page, "emp-bases");
  check(baseRows.length === bases.length, `${bases.length} bases listed`);
  bases.forEach((b, i) => {
    const expected = ["", b.name, b.operator_name, `${b.tenants || 0} / ${b.capacity}`, String(b.tenants_ever || 0), "入孵"];
    check(JSON.stringify(baseRows[i]) === JSON.stringify(expected), `base ${i + 1}: ${baseRows[i].join(" | ")}`);
  });
  const at = bases.findIndex(b => b.id === seeded.base.id);
  await page.locator('[data-test="emp-bases"] .el-table__expand-icon').nth(at).click();
  await page.waitForSelector(`[data-test="emp-tenants-${seeded.base.id}"] .el-table__body-wrapper tr.el-table__row`);
  const tenants = (await api("GET", `/v1/employment/incubation-tenants?base_id=${seeded.base.id}`)).tenants;
  const tenantRows = await rows(page, `emp-tenants-${seeded.base.id}`);
  const tenantLine = t => [t.business_name, t.entered_on, t.left_on || "在孵", t.left_reason, t.left_on ? "" : "出孵"];
  check(JSON.stringify(tenantRows) === JSON.stringify(tenants.map(tenantLine)) && tenants.length === 1 && tenants[0].support_id === seeded.support.id,
        `the base's tenant: ${tenantRows.map(r => r.join(" | "))}`);
  await screenshot(page, "employment-follow-ups-bases");
  checkNoErrors(page, "follow-through");

  // 招工难: the street's figures by industry and by street, hardest first.
  await page.locator('[data-test="emp-hiring-link"]').click();
  await page.waitForSelector('[data-test="emp-hiring-industry"] .el-table__body-wrapper tr.el-table__row');
  const picker = await page.locator(".emp-period").boundingBox();
  check(picker.width <= 341, `the period picker keeps its width (${Math.round(picker.width)} px: 320 and its padding), not the bar's`);
  const from = `${today.slice(0, 4)}-${Number(today.slice(5, 7)) <= 6 ? "01" : "07"}-01`;
  const street = d.streets[0];
  const hiring = await api("GET", `/v1/employment/hiring?under=${street}&from=${from}&to=${today}`);
  const percent = v => `${((v || 0) * 100).toFixed(1)}%`;
  const line = r => [r.name || r.key || "未填行业", percent(r.difficulty_rate), String(r.positions_unfilled || 0),
    String(r.positions_open || 0), String(r.vacancies_unfilled || 0), String(r.vacancies_posted || 0), String(r.placements || 0)];
  for (const [table, key] of [["emp-hiring-industry", "by_industry"], ["emp-hiring-street", "by_street"]]) {
    const cells = await rows(page, table);
    check(JSON.stringify(cells) === JSON.stringify(hiring[key].map(line)),
          `${key}: ${cells.map(r => r.join(" | ")).join(" / ")}`);
  }
  const restaurants = hiring.by_industry.find(r => r.key === "住宿和餐饮业");
  check(restaurants && restaurants.positions_unfilled >= 3 && restaurants.placements >= 1,
        `the restaurants' industry: ${restaurants && restaurants.positions_unfilled} positions unfilled long`);
  check((await page.locator('[data-test="emp-hiring-days"]').innerText()).includes(`超过 ${hiring.unfilled_days} 天`),
        "the page says what unfilled long means");
  const unfilled = (await api("GET", `/v1/employment/vacancies?under=${street}&unfilled_days=30&page_size=200`)).vacancies;
  const unfilledRows = await rows(page, "emp-unfilled");
  check(unfilledRows.length === Math.min(20, unfilled.length)
        && unfilledRows.some(r => r[0] === "面点师" && r[1] === seeded.enterprise.name && r[2] === "3 / 4"
                             && r[3] === `${day(-60)}（已招 60 天）`), "the vacancy open two months is listed unfilled");
  await screenshot(page, "employment-hiring");
  checkNoErrors(page, "hiring");

  // 离职登记 on the person's page: the placement forty days ago ended
  // yesterday, by agreement, with a note; unemployed from today, they seek
  // work again (a separation today would leave them employed until tomorrow).
  const worker = seeded.residents[0].id;
  await page.goto(`${fixture.gateway}/#/employment/persons/${worker}`);
  await page.waitForSelector(`[data-test="emp-end-${seeded.placed.id}"]`);
  await page.locator(`[data-test="emp-end-${seeded.placed.id}"]`).click();
  await page.waitForSelector('[data-test="emp-separation-dialog"]', { state: "visible" });
  await page.locator('[data-test="emp-separation-reason"]').click();
  await page.waitForSelector('[data-test="emp-reason-SEPARATION_REASON_MUTUAL"]', { state: "visible" });
  const reasons = (await page.locator('[data-test^="emp-reason-"]:visible').allInnerTexts()).map(x => x.trim());
  check(JSON.stringify(reasons) === JSON.stringify(["劳动合同期满", "本人辞职", "单位解除", "协商解除", "单位关闭、破产", "其他"]),
        `the reasons offered are those PlacementEnd accepts: ${reasons.join(" / ")}`);
  await page.locator('[data-test="emp-reason-SEPARATION_REASON_MUTUAL"]').click();
  const lastDay = day(-1);
  const lastDayInput = page.locator('[data-test="emp-separation-dialog"] .el-date-editor input').first();
  await lastDayInput.fill(lastDay);
  await lastDayInput.press("Enter");
  await page.locator(field("emp-separation-note")).first().fill("门店调整，协商一致解除");
  await screenshot(page, "employment-separation-record");
  await page.locator('[data-test="emp-separation-save"]').click();
  await page.waitForSelector('[data-test="emp-separated"]');
  const separatedSaid = (await page.locator('[data-test="emp-separated"]').innerText()).trim();
  check(separatedSaid === `已登记离职：${seeded.enterprise.name}，${lastDay}，协商解除`, `the page says: ${separatedSaid}`);
  const worked = (await api("GET", `/v1/employment/placements?resident_id=${worker}&page_size=50`)).placements;
  const endedNow = worked.find(p => p.id === seeded.placed.id);
  check(endedNow.end_date === lastDay && endedNow.separation_reason === "SEPARATION_REASON_MUTUAL"
        && endedNow.separation_note === "门店调整，协商一致解除",
        `employment holds the separation (${endedNow.end_date}, ${endedNow.separation_reason}, ${endedNow.separation_note})`);
  const PLACEMENT_KINDS = { PLACEMENT_KIND_ENTERPRISE: "企业就业" };
  const placementRows = await rows(page, "emp-placements");
  check(JSON.stringify(placementRows) === JSON.stringify(worked.map(p => [p.employer_name, PLACEMENT_KINDS[p.kind],
    p.start_date, p.end_date ? [p.end_date, REASONS[p.separation_reason]].filter(Boolean).join(" ") : "离职登记"])),
        `the placements shown: ${placementRows.map(r => r.join(" | ")).join(" / ")}`);
  const workerNow = await api("GET", `/v1/employment/persons/${worker}`);
  check(workerNow.seeking_work === true && workerNow.status === "LABOR_STATUS_UNEMPLOYED",
        `who left is unemployed and seeks work again (${workerNow.status})`);
  const STATUS_NAMES = { ...STATUSES, LABOR_STATUS_UNEMPLOYED: "登记失业" };
  check((await page.locator('[data-test="person-seeking"]').innerText()).trim() === "✓"
        && (await page.locator('[data-test="person-status"]').innerText()).trim() === STATUS_NAMES[workerNow.status],
        `the page shows the person as employment holds them (${workerNow.status}, seeking work)`);
  await screenshot(page, "employment-separation-recorded");

  // 入孵: the one who left brings their business into the community's base
  // through the page; then the start-up that was there moves out.
  await page.goto(`${fixture.gateway}/#/employment/follow-ups`);
  await page.waitForSelector(`[data-test="emp-admit-${seeded.base.id}"]`);
  await page.locator(`[data-test="emp-admit-${seeded.base.id}"]`).click();
  await page.waitForSelector('[data-test="emp-admit-dialog"]', { state: "visible" });
  const teaHouse = { name: `福寿茶社${stamp}`, code: creditCode(`92370205${String(700000000 + stamp)}`) };
  await page.locator(field("emp-admit-business")).first().fill(teaHouse.name);
  await page.locator(field("emp-admit-credit-code")).first().fill(teaHouse.code);
  await page.locator(field("emp-admit-resident")).first().fill(worker);
  await screenshot(page, "employment-tenant-admit");
  await page.locator('[data-test="emp-admit-save"]').click();
  await page.waitForSelector('[data-test="emp-tenant-done"]');
  const admittedSaid = (await page.locator('[data-test="emp-tenant-done"]').innerText()).trim();
  check(admittedSaid === `已入孵：${teaHouse.name}（${seeded.base.name}）`, `the page says: ${admittedSaid}`);
  let inBase = (await api("GET", `/v1/employment/incubation-tenants?base_id=${seeded.base.id}`)).tenants;
  const admitted = inBase.find(t => t.business_name === teaHouse.name);
  check(admitted && admitted.entered_on === today && admitted.business_credit_code === teaHouse.code
        && admitted.resident_id === worker && !admitted.left_on && !Number(admitted.support_id || 0)
        && admitted.base_name === seeded.base.name, `employment holds the tenant (${JSON.stringify(admitted)})`);
  const baseNow = (await api("GET", `/v1/employment/incubation-bases?under=${unit}`)).bases;
  await page.waitForFunction(() => document.querySelector('[data-test="emp-bases"] .el-table__body-wrapper tr.el-table__row'));
  const baseRowsNow = await rows(page, "emp-bases");
  const seededBase = baseNow.find(b => b.id === seeded.base.id);
  check(Number(seededBase.tenants) === 2 && baseRowsNow[baseNow.indexOf(seededBase)][3] === `2 / ${seededBase.capacity}`,
        `the base holds two tenants now: ${baseRowsNow[baseNow.indexOf(seededBase)].join(" | ")}`);
  await page.locator('[data-test="emp-bases"] .el-table__expand-icon').nth(baseNow.indexOf(seededBase)).click();
  await page.waitForFunction(n => document.querySelectorAll(`[data-test="emp-tenants-${n}"] .el-table__body-wrapper tr.el-table__row`).length === 2,
                             seeded.base.id, { timeout: 5000 }).catch(() => {});
  let tenantRowsNow = await rows(page, `emp-tenants-${seeded.base.id}`);
  check(JSON.stringify(tenantRowsNow) === JSON.stringify(inBase.map(tenantLine)) && inBase.length === 2,
        `the base's tenants: ${tenantRowsNow.map(r => r.join(" | ")).join(" / ")}`);
  const earlier = inBase.find(t => t.support_id === seeded.support.id);
  await page.locator(`[data-test="emp-tenant-leave-${earlier.id}"]`).click();
  await page.waitForSelector('[data-test="emp-leave-dialog"]', { state: "visible" });
  await page.locator(field("emp-leave-reason")).first().fill("孵化期满迁出");
  await page.locator('[data-test="emp-leave-save"]').click();
  await page.waitForSelector('[data-test="emp-tenant-done"]');
  await page.waitForFunction(() => document.querySelector('[data-test="emp-tenant-done"]').innerText.includes("已出孵"),
                             null, { timeout: 5000 }).catch(() => {});
  check((await page.locator('[data-test="emp-tenant-done"]').innerText()).trim()
        === `已出孵：${seeded.support.business_name}，${today}`, "the page says the tenant moved out");
  inBase = (await api("GET", `/v1/employment/incubation-tenants?base_id=${seeded.base.id}`)).tenants;
  const gone = inBase.find(t => t.id === earlier.id);
  check(gone.left_on === today && gone.left_reason === "孵化期满迁出", `employment holds the move-out (${gone.left_on}, ${gone.left_reason})`);
  await page.waitForFunction(n => document.querySelector(`[data-test="emp-tenants-${n}"]`)?.innerText.includes("孵化期满迁出"),
                             seeded.base.id, { timeout: 5000 }).catch(() => {});
  tenantRowsNow = await rows(page, `emp-tenants-${seeded.base.id}`);
  check(JSON.stringify(tenantRowsNow) === JSON.stringify(inBase.map(tenantLine)),
        `the base's tenants after the move-out: ${tenantRowsNow.map(r => r.join(" | ")).join(" / ")}`);
  await screenshot(page, "employment-tenants-changed");
  checkNoErrors(page, "separation and tenants");
  await page.context().close();

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "employment_counsellor");
  for (const [path, ready, name] of [["/employment/follow-ups", "emp-visits", "follow-ups"],
    ["/employment/hiring", "emp-hiring-industry", "hiring"]]) {
    await phone.goto(`${fixture.gateway}/#${path}`);
    await phone.waitForSelector(`[data-test="${ready}"] .el-table__body-wrapper tr.el-table__row`);
    await phone.waitForTimeout(300);
    await checkNoOverflow(phone, `${name} at 375 px`);
    await screenshot(phone, `employment-${name}-phone`);
    if (name === "follow-ups") {
      // The bases' 入孵 stays in sight: the table's columns before it scroll.
      const admit = await phone.locator('[data-test^="emp-admit-"]:visible').first().boundingBox();
      check(admit && admit.x >= 0 && admit.x + admit.width <= 375, `入孵 in sight at 375 px (x ${admit && Math.round(admit.x)})`);
    }
  }
  checkNoErrors(phone, "phone pages");
  await phone.context().close();

  // A street official reads the hiring figures too.
  const official = await newPage(browser);
  await logIn(official, "street_staff");
  await official.goto(`${fixture.gateway}/#/employment/hiring`);
  await official.waitForSelector('[data-test="emp-hiring-industry"] .el-table__body-wrapper tr.el-table__row');
  check(true, "street staff read the hiring figures");
  checkNoErrors(official, "street staff's hiring page");
  await official.context().close();
});
