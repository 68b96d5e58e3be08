// Employment counsellor: registers a job seeker of working age in their
// community (found by ID number) with difficulty categories and a wished-for
// occupation, sees the vacancies matched near home as a list and a map,
// records a placement in the nearest, enrols them in a training course,
// and reads the community's and street's figures; everything shown is
// compared with employment's records read back with the admin API. A street
// official reads the person masked and is refused a placement in Chinese; a
// window clerk has no employment page. Phones at 375 px.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
const stamp = Date.now() % 100000;

// GB 11643 and GB 32100 check characters, as grid and employment check them.
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
async function ignoreExisting(promise) {
  try {
    return await promise;
  } catch (e) {
    if (!/409|ALREADY_EXISTS/.test(String(e))) throw e;
    return null;
  }
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

async function seed() {
  const seekerId = idNumber(`370203${1988}0512${String(stamp % 1000).padStart(3, "0")}`.slice(0, 17));
  const resident = await api("POST", "/v1/grid/residents", { household_code: d.households[0][6], name: "赵晓燕",
    id_number: seekerId, phone: "13912345678", relation: "child" });
  // Work near home (about a kilometre) and far away (another street).
  const near = "37020500100109", far = "37020500200109";
  await ignoreExisting(api("POST", "/v1/grid/units", { code: near, kind: "UNIT_KIND_ZONE", name: "海润片区",
    parent_code: d.communities[0], location: { lat: 36.106, lon: 120.388 } }));
  await ignoreExisting(api("POST", "/v1/grid/units", { code: far, kind: "UNIT_KIND_ZONE", name: "远航片区",
    parent_code: d.communities[1], location: { lat: 36.2, lon: 120.5 } }));
  const enterprises = [
    { credit_code: creditCode(`91370205${String(700000000 + stamp)}`), name: "青岛海润餐饮管理有限公司", zone_code: near,
      address: "海润路8号", industry: "餐饮" },
    { credit_code: creditCode(`91370205${String(800000000 + stamp)}`), name: "青岛远航物流有限公司", zone_code: far,
      address: "远航路88号", industry: "物流" },
  ];
  // employment learns of the new zones (and the resident) from grid's events.
  for (const e of enterprises) await retry(`enterprise ${e.name}`, () => api("POST", "/v1/employment/enterprises", e));
  const vacancies = [
    await api("POST", "/v1/employment/vacancies", { enterprise_credit_code: enterprises[0].credit_code,
      title: "中餐厨师", occupation_code: "4-03-02-01", positions: 2, full_time: true, wage_min: 4500, wage_max: 6000 }),
    await api("POST", "/v1/employment/vacancies", { enterprise_credit_code: enterprises[1].credit_code,
      title: "仓库保管员", occupation_code: "4-02-06-01", positions: 1, full_time: true, wage_min: 4000, wage_max: 5000 }),
  ];
  await ignoreExisting(api("POST", "/v1/employment/courses", { code: "WB-CHEF-01", title: "中式烹调师（四级）培训班",
    occupation_code: "4-03-02-01", grade: "SKILL_GRADE_INTERMEDIATE", hours: 80, provider: "四方区职业培训学校" }));
  return { resident, seekerId, vacancies, enterprises, zones: { near, far } };
}

async function rows(page, table) {
  return page.locator(`[data-test="${table}"] .el-table__body-wrapper tr`).evaluateAll(trs =>
    trs.map(r => Array.from(r.querySelectorAll("td"), td => td.innerText.replace(/\s+/g, " ").trim())));
}

await run(async browser => {
  const seeded = await seed();
  const residentId = seeded.resident.id;
  const page = await newPage(browser);
  await logIn(page, "employment_counsellor");
  check(await page.locator('[data-test="nav-employment"]').innerText() === "就业服务", "the counsellor's menu has 就业服务");
  await page.locator('[data-test="open-employment"]').click();
  await page.waitForSelector('[data-test="emp-register-form"]');
  const text = async sel => (await page.locator(`[data-test="${sel}"]`).innerText()).trim();

  // Register: found by ID number, two difficulty categories, a wish.
  await page.locator(field("emp-id-number")).fill(seeded.seekerId);
  await page.locator('[data-test="emp-find"]').click();
  await page.waitForSelector('[data-test="emp-found"]');
  check((await text("emp-found")).includes(residentId)
        && await page.locator(field("emp-resident-id")).inputValue() === residentId,
        `found by ID number: ${await text("emp-found")}`);
  check(!(await text("emp-found")).includes(seeded.seekerId), "the ID number is not shown back");
  await page.locator('[data-test="emp-difficulty-DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED"]').click();
  await page.locator('[data-test="emp-difficulty-DIFFICULTY_CATEGORY_LOW_INCOME"]').click();
  await page.locator('[data-test="emp-desired"]').click();
  await page.keyboard.type("烹调");
  await page.locator('.el-select-dropdown__item:visible', { hasText: "中式烹调师" }).first().click();
  await page.locator(".el-card__header", { hasText: "求职登记" }).click();   // the list closes
  await page.waitForSelector(".el-select-dropdown__item:visible", { state: "hidden" });
  await screenshot(page, "employment-register");
  // employment may learn of the new resident a moment after grid: a refusal
  // then, and the counsellor presses again.
  await retry("registration", async () => {
    await page.locator('[data-test="emp-register"]').click({ timeout: 5000 });
    await page.waitForURL(/#\/employment\/persons\//, { timeout: 2000 });
  }, 10);
  await page.waitForSelector('[data-test="person-name"]');
  const person = await api("GET", `/v1/employment/persons/${residentId}`);
  check(person.difficulties.join() === "DIFFICULTY_CATEGORY_LONG_TERM_UNEMPLOYED,DIFFICULTY_CATEGORY_LOW_INCOME"
        && person.desired_occupations.join() === "4-03-02-01" && person.status === "LABOR_STATUS_UNEMPLOYED"
        && person.seeking_work, "employment holds the registration as entered");
  check(await text("person-name") === person.name && person.name === "赵晓燕", `name in clear ${person.name}`);
  check(await text("person-birth-date") === person.birth_date && person.birth_date === "1988-05-12",
        `birth date ${person.birth_date}`);
  check(await text("person-status") === "登记失业", "status 登记失业");
  check(await text("person-difficulties") === "长期失业人员、低保家庭成员", "difficulty categories in Chinese");
  check(await text("person-home-zone") === person.home_zone_code && person.home_zone_code === d.zones[0],
        `home zone ${person.home_zone_code}`);
  check(await text("person-registered-on") === person.registered_on, `registered on ${person.registered_on}`);
  check(await text("person-desired") === "中式烹调师", "wish 中式烹调师");

  // Matches: the list and the map against employment's.
  const matched = await api("GET", `/v1/employment/persons/${residentId}/matches?limit=50`);
  await page.waitForSelector('[data-test="emp-matches"] .el-table__body-wrapper tr');
  const shown = await rows(page, "emp-matches");
  check(shown.length === matched.matches.length, `${matched.matches.length} matches listed`);
  matched.matches.forEach((m, i) => {
    const km = m.distance_m < 0 ? "位置未知" : m.distance_m < 1000 ? `${m.distance_m} 米` : `${(m.distance_m / 1000).toFixed(1)} 公里`;
    const expected = [m.vacancy.title, m.vacancy.enterprise_name,
      m.vacancy.wage_min === m.vacancy.wage_max ? `${m.vacancy.wage_max} 元/月` : `${m.vacancy.wage_min}-${m.vacancy.wage_max} 元/月`,
      km + (m.within_circle ? " 服务圈内" : ""), `${Math.round(m.fit * 100)}%`, String(m.vacancy.open_positions)];
    check(JSON.stringify(shown[i].slice(0, 6)) === JSON.stringify(expected), `match ${i + 1}: ${shown[i].slice(0, 6).join(" | ")}`);
  });
  const first = matched.matches[0];
  check(first.vacancy.id === seeded.vacancies[0].id && first.within_circle && first.fit > 0.5,
        `the cook's job ${first.distance_m} m away comes first, in the circle`);
  check(await text("emp-radius") === `就业服务圈半径 ${(matched.radius_m / 1000).toFixed(1)} 公里`, "the circle's radius");
  const homeZone = await api("GET", `/v1/grid/units/${person.home_zone_code}`);
  const map = page.locator('[data-test="emp-map"]');
  // grid shows a person the zones within their view: the counsellor's map
  // holds the work zones of their community; the others are counted off it.
  const unit = fixture.people.employment_counsellor.unit;
  const zones = new Set(matched.matches.map(m => m.vacancy.work_zone_code).filter(z => z.startsWith(unit)));
  const leftOff = matched.matches.filter(m => !m.vacancy.work_zone_code.startsWith(unit)).length;
  await page.waitForFunction(n => {
    const m = document.querySelector('[data-test="emp-map"]');
    return m && m.querySelector("canvas") && m.dataset.workZones === String(n);
  }, zones.size, { timeout: 5000 }).catch(() => {});
  check(await map.getAttribute("data-home") === `${homeZone.location.lon},${homeZone.location.lat}`
        && await map.getAttribute("data-work-zones") === String(zones.size),
        `the map: home at ${homeZone.location.lon},${homeZone.location.lat}, ${zones.size} work zones `
        + `(shown: ${await map.getAttribute("data-home")}, ${await map.getAttribute("data-work-zones")})`);
  check(leftOff === 1 && await text("emp-map-left-off") === `另有 ${leftOff} 个岗位在您的辖区以外，未在图上标注`,
        `the vacancy in the other street is counted off the map (${leftOff})`);

  // A placement in the cook's job.
  await page.locator(`[data-test="emp-choose-${first.vacancy.id}"]`).click();
  await page.locator('[data-test="emp-place"]').click();
  await page.waitForSelector('[data-test="emp-placed"]');
  const placements = (await api("GET", `/v1/employment/placements?resident_id=${residentId}`)).placements;
  check(placements.length === 1, "one placement");
  const p = placements[0];
  check(p.vacancy_id === first.vacancy.id && p.enterprise_credit_code === seeded.enterprises[0].credit_code
        && p.kind === "PLACEMENT_KIND_ENTERPRISE" && p.source === "PLACEMENT_SOURCE_SERVICE_CENTRE"
        && p.start_date === today && p.full_time, `placement ${p.id}: ${p.employer_name} from ${p.start_date}`);
  check(await text("emp-placed") === `已登记就业：${p.employer_name}，${p.start_date} 起`, await text("emp-placed"));
  const placementRows = await rows(page, "emp-placements");
  // A placement still going on offers 离职登记 in its end column.
  check(JSON.stringify(placementRows) === JSON.stringify([[p.employer_name, "企业就业", p.start_date, "离职登记"]]),
        `placements: ${placementRows.map(r => r.join(" | "))}`);
  await page.waitForFunction(() => document.querySelector('[data-test="person-status"]').innerText.trim() === "已就业");
  check((await api("GET", `/v1/employment/persons/${residentId}`)).status === "LABOR_STATUS_EMPLOYED", "now employed");

  // Training.
  await page.locator('[data-test="emp-course"]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: "中式烹调师（四级）培训班" }).first().click();
  await page.locator('[data-test="emp-enrol"]').click();
  await page.waitForSelector('[data-test="emp-enrolled"]');
  const training = await api("GET", `/v1/employment/persons/${residentId}/training`);
  check(training.enrolments.length === 1 && training.enrolments[0].course_code === "WB-CHEF-01"
        && training.enrolments[0].status === "ENROLMENT_STATUS_ENROLLED" && training.enrolments[0].enrolled_on === today,
        "enrolled in WB-CHEF-01 today");
  const enrolmentRows = await rows(page, "emp-enrolments");
  check(JSON.stringify(enrolmentRows) === JSON.stringify([["中式烹调师（四级）培训班", "已报名", today]]),
        `training: ${enrolmentRows.map(r => r.join(" | "))}`);
  await screenshot(page, "employment-person");
  checkNoErrors(page, "counsellor's person page");

  // The figures of the community and the street, this half-year.
  await page.goto(`${fixture.gateway}/#/employment/figures`);
  const from = `${today.slice(0, 4)}-${Number(today.slice(5, 7)) <= 6 ? "01" : "07"}-01`;
  for (const unit of [d.communities[0], d.streets[0]]) {
    await page.waitForSelector(`[data-test="emp-figures-${unit}"] .el-table__body-wrapper tr`);
    const stats = await api("GET", `/v1/employment/statistics?under=${unit}&group_by=STATISTICS_GROUPING_COMMUNITY`
                                   + `&from=${from}&to=${today}`);
    const cells = await rows(page, `emp-figures-${unit}`);
    const expected = stats.rows.map(r => [r.unit_name, String(r.people_placed || 0), String(r.placements || 0),
      String(r.entrepreneurs_supported || 0), String(r.difficulty_registered || 0), String(r.difficulty_employed || 0),
      `${((r.difficulty_employment_rate || 0) * 100).toFixed(1)}%`]);
    check(JSON.stringify(cells) === JSON.stringify(expected), `figures of ${unit}: ${cells.map(r => r.join(" | ")).join(" / ")}`);
    check(Number(stats.total.people_placed) >= 1, `${unit}: the placement counts (${stats.total.people_placed} placed)`);
  }
  await screenshot(page, "employment-figures");
  checkNoErrors(page, "figures");
  await page.context().close();

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "employment_counsellor");
  for (const [path, ready, name] of [["/employment", "emp-register-form", "seekers"],
    [`/employment/persons/${residentId}`, "person-name", "person"], ["/employment/figures", `emp-figures-${d.communities[0]}`, "figures"]]) {
    await phone.goto(`${fixture.gateway}/#${path}`);
    await phone.waitForSelector(`[data-test="${ready}"]`);
    await phone.waitForTimeout(300);
    await checkNoOverflow(phone, `${name} at 375 px`);
    await screenshot(phone, `employment-${name}-phone`);
  }
  checkNoErrors(phone, "phone pages");
  await phone.context().close();

  // A street official: figures, the person masked, a placement refused.
  const street = await newPage(browser);
  await logIn(street, "street_staff");
  await street.goto(`${fixture.gateway}/#/employment`);
  await street.waitForURL(/#\/employment\/figures$/);
  check(true, "street staff open the workflow on its figures");
  await street.goto(`${fixture.gateway}/#/employment/persons/${residentId}`);
  await street.waitForSelector('[data-test="person-name"]');
  check((await street.locator('[data-test="person-name"]').innerText()).trim() === "赵**"
        && (await street.locator('[data-test="person-birth-date"]').innerText()).trim() === "1988-**-**"
        && (await street.locator('[data-test="person-difficulties"]').innerText()).trim() === "",
        "street staff read the job seeker masked, no categories");
  await street.locator(`[data-test="emp-choose-${seeded.vacancies[1].id}"]`).click();
  await street.locator('[data-test="emp-place"]').click();
  await street.waitForSelector('[data-test="error"]');
  check((await street.locator('[data-test="error"]').first().innerText()).includes("无权进行此操作"),
        "street staff are refused a placement: 无权进行此操作");
  check((await api("GET", `/v1/employment/placements?resident_id=${residentId}`)).placements.length === 1,
        "still one placement");
  await screenshot(street, "employment-refused");
  checkNoErrors(street, "street staff's pages");
  await street.context().close();

  // A window clerk has no employment page.
  const clerk = await newPage(browser);
  await logIn(clerk, "window_clerk");
  check(await clerk.locator('[data-test="nav-employment"]').count() === 0
        && await clerk.locator('[data-test="open-employment"]').count() === 0, "window clerk: no employment in the menu");
  await clerk.goto(`${fixture.gateway}/#/employment/persons/${residentId}`);
  await clerk.waitForFunction(() => location.hash === "#/");
  check(await clerk.locator('[data-test="person-name"]').count() === 0, "window clerk: the route lands on home");
  await clerk.context().close();
});
