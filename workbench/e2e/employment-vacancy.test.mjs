// A vacancy's page and the job seekers who suit it: with a restaurant's
// vacancy for pastry cooks (面点师; not the cooks' trade employment.test.mjs
// matches its seeker to) in the counsellor's community and three residents
// registered in employment (one unemployed in a difficulty category with no
// wish for the trade, one unemployed who wishes exactly this trade, one
// employed who says they look for another job), the counsellor opens the
// vacancy from the street's open vacancies and sees the seekers as
// MatchSeekers ranks them (every cell compared): the one in difficulty
// first though the other fits better, the employed never. 推荐上岗 places the
// first in the vacancy: the placement (vacancy, enterprise, kind, service
// centre, start day) and the person's status read back; they leave the
// list and the vacancy's open positions go down. English on request; a
// phone's width. Screenshots employment-vacancy-*.png.
import { api, check, checkNoErrors, checkNoOverflow, districtDay, fixture, logIn, newPage, run,
  screenshot } from "./lib.mjs";

const d = fixture.district;
const stamp = Date.now() % 100000;
const today = districtDay();

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

const DIFFICULTY = { DIFFICULTY_CATEGORY_LOW_INCOME: "低保家庭成员", DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED: "长期失业人员",
  DIFFICULTY_CATEGORY_AGED_4050: "“4050”人员", DIFFICULTY_CATEGORY_DISABLED: "残疾人",
  DIFFICULTY_CATEGORY_ZERO_EMPLOYMENT_FAMILY: "零就业家庭成员", DIFFICULTY_CATEGORY_LAND_LOST: "失地农民",
  DIFFICULTY_CATEGORY_SINGLE_PARENT: "单亲家庭" };
const GENDER = { GENDER_FEMALE: "女", GENDER_MALE: "男", GENDER_UNSPECIFIED: "未知" };

async function seed() {
  const people = [
    { name: "钱桂兰", body: `37020319${79}0305${String(stamp % 1000).padStart(3, "0")}`, household: d.households[0][5],
      person: { status: "LABOR_STATUS_UNEMPLOYED", seeking_work: true, difficulties: ["DIFFICULTY_CATEGORY_LOW_INCOME"] } },
    { name: "孙志刚", body: `37020319${92}0711${String((stamp + 1) % 1000).padStart(3, "0")}`, household: d.households[0][6],
      person: { status: "LABOR_STATUS_UNEMPLOYED", seeking_work: true, desired_occupations: ["4-03-02-02"] } },
    { name: "周建业", body: `37020319${90}1121${String((stamp + 2) % 1000).padStart(3, "0")}`, household: d.households[0][7],
      person: { status: "LABOR_STATUS_EMPLOYED", seeking_work: true, desired_occupations: ["4-03-02-02"] } },
  ];
  const residents = [];
  for (const p of people) {
    const r = await api("POST", "/v1/grid/residents", { household_code: p.household, name: p.name,
      id_number: idNumber(p.body.slice(0, 17)), relation: "child" });
    await retry(`register ${r.id}`, () => api("POST", "/v1/employment/persons", { resident_id: r.id, ...p.person }));
    residents.push(r);
  }
  const enterprise = { credit_code: creditCode(`91370205${String(500000000 + stamp)}`),
    name: `青岛和顺餐饮有限公司${stamp}`, zone_code: d.zones[0], address: "和顺路3号", industry: "住宿和餐饮业" };
  await retry("enterprise", () => api("POST", "/v1/employment/enterprises", enterprise));
  const vacancy = await api("POST", "/v1/employment/vacancies", { enterprise_credit_code: enterprise.credit_code,
    title: `面点师${stamp}`, occupation_code: "4-03-02-02", positions: 2, full_time: true, wage_min: 4800,
    wage_max: 6500 });
  return { residents, enterprise, vacancy };
}

async function rows(page, table) {
  return page.locator(`[data-test="${table}"] .el-table__body-wrapper tr`).evaluateAll(trs =>
    trs.map(r => Array.from(r.querySelectorAll("td"), td => td.innerText.replace(/\s+/g, " ").trim())));
}
const text = async (page, name) => (await page.locator(`[data-test="${name}"]`).innerText()).trim();
const distance = m => (m < 0 ? "位置未知" : m < 1000 ? `${m} 米` : `${(m / 1000).toFixed(1)} 公里`);

// The seekers' table against MatchSeekers, cell by cell.
async function compareSeekers(page, vacancyId, what) {
  const reply = await api("GET", `/v1/employment/vacancies/${vacancyId}/matches?limit=50`);
  // The counsellor sees the seekers of their community (the admin key, all).
  const unit = fixture.people.employment_counsellor.unit;
  const matches = (reply.matches || []).filter(m => String(m.person.home_zone_code || "").startsWith(unit));
  const shown = await rows(page, "emp-vacancy-seekers");
  const expected = matches.map((m, i) => [String(i + 1), m.person.name, GENDER[m.person.gender || "GENDER_UNSPECIFIED"],
    m.person.birth_date || "", (m.person.difficulties || []).length
      ? m.person.difficulties.map(c => DIFFICULTY[c]).join("、") : "无",
    `${distance(m.distance_m ?? -1)}（${m.within_circle ? "服务圈内" : "圈外"}）`,
    `${Math.round(Math.max(0, Math.min(1, Number(m.fit) || 0)) * 100)}%`, "推荐上岗"]);
  check(JSON.stringify(shown) === JSON.stringify(expected),
        `${what}: ${matches.length} seekers, every cell as MatchSeekers ranks them (${shown.map(r => r.slice(0, 2).join(" ")).join("; ")})`);
  return matches;
}

const seeded = await seed();
const [helped, fitting, employed] = seeded.residents;
const vacancy = seeded.vacancy;

await run(async browser => {
  const page = await newPage(browser);
  await logIn(page, "employment_counsellor");
  await page.locator('[data-test="nav-employment"]').click();
  await page.locator('[data-test="emp-vacancies-link"]').click();
  await page.locator(`[data-test="emp-vacancy-${vacancy.id}"]`).waitFor();
  const listed = await rows(page, "emp-vacancies");
  const mine = listed.find(r => r[0] === vacancy.title);
  check(mine && mine[1] === vacancy.enterprise_name && mine[2] === `${vacancy.open_positions} / ${vacancy.positions}`
        && mine[3] === "4800-6500 元/月" && mine[4] === vacancy.opens_on,
        `the street's open vacancies list ${vacancy.title} (${mine && mine.join(" | ")})`);
  await page.locator(`[data-test="emp-vacancy-${vacancy.id}"]`).click();
  await page.waitForFunction(id => location.hash === `#/employment/vacancies/${id}`, String(vacancy.id));

  // The vacancy as employment has it.
  await page.locator('[data-test="emp-vacancy-title"]').waitFor();
  const v = await api("GET", `/v1/employment/vacancies/${vacancy.id}`);
  const occupation = await api("GET", `/v1/employment/occupations/${v.occupation_code}`);
  check(await text(page, "emp-vacancy-title") === v.title && await text(page, "emp-vacancy-status") === "招聘中"
        && await text(page, "emp-vacancy-enterprise") === v.enterprise_name
        && await text(page, "emp-vacancy-occupation") === `${occupation.name}（${v.occupation_code}）`
        && await text(page, "emp-vacancy-grade") === "未定级"
        && await text(page, "emp-vacancy-open") === `${v.open_positions} / ${v.positions}`
        && await text(page, "emp-vacancy-wage") === "4800-6500 元/月"
        && await text(page, "emp-vacancy-zone") === v.work_zone_code && await text(page, "emp-vacancy-opens") === v.opens_on
        && await text(page, "emp-vacancy-full-time") === "是"
        && await text(page, "emp-vacancy-liaison") === (v.liaison_name || "无"),
        `the vacancy ${v.id}: title, 招聘中, enterprise, occupation, grade, ${v.open_positions} / ${v.positions}, wage, zone, day, full time, liaison`);

  // The seekers, difficulty first, never the employed.
  await page.locator(`[data-test="emp-match-${helped.id}"]`).waitFor();
  const matches = await compareSeekers(page, vacancy.id, "before");
  const at = id => matches.findIndex(m => m.person.resident_id === id);
  check(at(helped.id) >= 0 && at(fitting.id) > at(helped.id)
        && matches[at(fitting.id)].fit > matches[at(helped.id)].fit,
        `${helped.name} (低保) ranks before ${fitting.name} though ${fitting.name} fits better`
        + ` (${matches[at(helped.id)].fit} < ${matches[at(fitting.id)].fit})`);
  check(at(employed.id) < 0 && await page.locator(`[data-test="emp-match-${employed.id}"]`).count() === 0,
        `${employed.name}, employed, is not among the seekers`);
  check((await text(page, "emp-seekers-circle")).startsWith("就业服务圈半径"), `the circle: ${await text(page, "emp-seekers-circle")}`);
  await checkNoOverflow(page, "vacancy page at 1366 px");
  await screenshot(page, "employment-vacancy");

  // 推荐上岗: the first placed in the vacancy from today.
  await page.locator(`[data-test="emp-recommend-${helped.id}"]`).click();
  await page.locator('[data-test="emp-recommend-form"]').waitFor();
  await screenshot(page, "employment-vacancy-recommend");
  await page.locator('[data-test="emp-recommend-submit"]').click();
  await page.locator('[data-test="emp-recommended"]').waitFor();
  const placements = (await api("GET", `/v1/employment/placements?resident_id=${helped.id}`)).placements || [];
  const p = placements[0];
  check(placements.length === 1 && String(p.vacancy_id) === String(vacancy.id)
        && p.enterprise_credit_code === seeded.enterprise.credit_code && p.kind === "PLACEMENT_KIND_ENTERPRISE"
        && p.source === "PLACEMENT_SOURCE_SERVICE_CENTRE" && p.full_time === true && p.start_date === today && !p.end_date,
        `the service holds placement ${p && p.id}: the vacancy, its enterprise, 企业就业, service centre, full time, from ${today}`);
  check(await text(page, "emp-recommended") === `已推荐 ${helped.name} 上岗：就业登记 ${p.id}，${today} 起`,
        `the page says so: ${await text(page, "emp-recommended")}`);
  const person = await api("GET", `/v1/employment/persons/${helped.id}`);
  check(person.status === "LABOR_STATUS_EMPLOYED" && !person.seeking_work,
        `${helped.name} is employed and no longer seeking work`);
  await page.waitForFunction(id => !document.querySelector(`[data-test="emp-match-${id}"]`), helped.id);
  const after = await compareSeekers(page, vacancy.id, "after");
  check(!after.some(m => m.person.resident_id === helped.id), `${helped.name} left the list`);
  const v2 = await api("GET", `/v1/employment/vacancies/${vacancy.id}`);
  check(v2.open_positions === v.open_positions - 1 && await text(page, "emp-vacancy-open") === `${v2.open_positions} / ${v2.positions}`,
        `the vacancy's open positions went down: ${await text(page, "emp-vacancy-open")}`);
  await screenshot(page, "employment-vacancy-recommended");
  const keys = (await page.evaluate(() => document.body.textContent)).match(/\bemployment\.[a-zA-Z.]+/g);
  check(!keys, `no message key shows in place of words${keys ? ": " + keys.join(" ") : ""}`);

  // English on request, and back.
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "en");
  check(await page.locator(".emp-heading").innerText() === "Vacancy and suitable job seekers"
        && await text(page, "emp-vacancy-status") === "open"
        && (await page.locator(`[data-test="emp-recommend-${fitting.id}"]`).innerText()).trim() === "Recommend",
        "English on request: the heading, the status, Recommend");
  await screenshot(page, "employment-vacancy-en");
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  checkNoErrors(page, "vacancy page");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "employment_counsellor");
  await phone.goto(fixture.gateway + `/#/employment/vacancies/${vacancy.id}`);
  await phone.locator(`[data-test="emp-match-${fitting.id}"]`).waitFor();
  await compareSeekers(phone, vacancy.id, "on a phone");
  await checkNoOverflow(phone, "vacancy page at 375 px");
  await screenshot(phone, "employment-vacancy-phone");
  checkNoErrors(phone, "vacancy page on a phone");
});
