// Workflow 7, the leader: cases (one overdue), a placement, volunteers with
// approved hours and an appraisal scheme are loaded through the gateway
// with the admin key; the leader opens 领导驾驶舱 and reads the district's
// figures, which must equal what the services answer the admin key; drills
// district → street → community → zone and back; the charts' labels are
// inside their charts; the zone map draws every zone; a service that does
// not answer leaves its panel "暂不可用" while the rest work; a phone gets
// the panels stacked without sideways scrolling; a window clerk gets no
// such menu and is sent home; a street's staff start at their street.
import { api, check, checkNoErrors, checkNoOverflow, fixture, logIn, newPage, run, screenshot, districtDay, districtTime } from "./lib.mjs";

const d = fixture.district;
const PANELS = ["grid", "units", "backlog", "overdue", "employment", "volunteer", "scorecard", "map"];

function halfYears() {
  const [year, month] = districtDay().split("-").map(Number);
  return month <= 6 ? { current: `${year}-H1`, last: `${year - 1}-H2` } : { current: `${year}-H2`, last: `${year}-H1` };
}
const figure = text => Number(String(text).replace(/[,%\s]/g, ""));
// A score is a score only where an item has a value (else the service's 0
// stands for "no facts yet" and the page shows "–").
const composite = s => (s && (s.items || []).some(i => i.has_value) ? s.composite : null);
const one = v => (v === null || v === undefined ? "–" : new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 1 }).format(v));

// A write that another workflow's test may have done first (the same
// resident registered): ALREADY_EXISTS is fine, the figures are read back.
async function seed(method, path, body) {
  try {
    return await api(method, path, body);
  } catch (error) {
    if (/: 409 /.test(error.message)) return null;
    throw error;
  }
}

async function load() {
  const periods = halfYears();
  const today = districtDay();
  const submit = (household, item, extra = {}) => api("POST", "/v1/intake/cases", {
    channel: "CASE_CHANNEL_WINDOW", item_code: item, description: "领导驾驶舱测试",
    requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: household, name: "住户" }, ...extra });
  const a = await submit(d.households[0][6], "pension-certification");
  await submit(d.households[0][7], "residence-certificate");
  await api("POST", `/v1/intake/cases/${a.id}/resolve`, { resolution: "已办结" });
  await api("POST", `/v1/intake/cases/${a.id}/close`, { satisfaction: 5 });
  // Registered ten days ago at a window: past its time limit now.
  await submit(d.households[1][6], "pension-certification", {
    channel: "CASE_CHANNEL_HOTLINE",
    imported: { at_unix_ms: Date.now() - 10 * 86400000, actor_id: d.zone_staff[1] } });

  await seed("POST", "/v1/employment/persons", { resident_id: d.residents[1][7], status: "LABOR_STATUS_UNEMPLOYED",
                                                 seeking_work: true });
  await seed("POST", "/v1/employment/placements", {
    resident_id: d.residents[1][7], kind: "PLACEMENT_KIND_FLEXIBLE", source: "PLACEMENT_SOURCE_SERVICE_CENTRE",
    full_time: true, start_date: today, employer_name: "社区便民服务站" });

  const volunteer = await seed("POST", "/v1/volunteer/volunteers", { resident_id: d.residents[0][7],
                                                                     skills: [{ skill: "meals", level: 4 }] });
  await seed("POST", "/v1/volunteer/volunteers", { resident_id: d.residents[1][5], skills: [{ skill: "meals", level: 3 }] });
  if (volunteer) {
    const record = await api("POST", "/v1/volunteer/service-records", { volunteer_id: volunteer.id, activity: "送餐",
                                                                       served_on: today, hours: 2.5 });
    await api("POST", "/v1/volunteer/service-records:review", { ids: [record.id], decision: "REVIEW_DECISION_APPROVE" });
  }

  // A scheme for both half-years unless one is there already (the
  // appraisal office's test may have defined the current one).
  for (const period of [periods.current, periods.last]) {
    try {
      await api("GET", `/v1/evaluation/schemes/${period}`);
    } catch {
      await seed("POST", "/v1/evaluation/schemes", {
        period, name: "半年考核", commend_at: 70, attention_at: 40, items: [
          { kpi_code: "on_time_rate", weight: 3, target: 98, threshold: 60 },
          { kpi_code: "return_visit_satisfaction", weight: 2, target: 4.8, threshold: 3 },
          { kpi_code: "cases_received", weight: 1, target: 10, threshold: 0 }] });
    }
  }
  // Evaluation follows the others' events: wait until the cases count.
  for (let i = 0; i < 60; i++) {
    const card = await api("GET", `/v1/evaluation/scorecards/${periods.current}`).catch(() => null);
    const items = (card && card.district && card.district.items) || [];
    if (items.some(item => item.has_value)) break;
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  return periods;
}

async function settled(page, code) {
  await page.waitForFunction(c => {
    const root = document.querySelector(".leader");
    return root && root.dataset.loaded === c
      && [...document.querySelectorAll(".leader-panel")].every(p => p.dataset.state !== "loading");
  }, code, { timeout: 15000 });
}

async function tile(page, panel, key) {
  return page.locator(`[data-panel="${panel}"] [data-tile="${key}"] .leader-figure`).innerText();
}

// Every text of a chart lies inside the chart (nothing clipped) and is at
// least 12 px; the chart is no wider than its panel. Returns the texts.
async function chartTexts(page, test) {
  return page.evaluate(name => {
    const box = document.querySelector(`[data-test="${name}"]`);
    const outer = box.getBoundingClientRect();
    const panel = box.closest(".leader-panel").getBoundingClientRect();
    const texts = [...box.querySelectorAll("svg text")].map(node => {
      const r = node.getBoundingClientRect();
      return { text: node.textContent, size: parseFloat(getComputedStyle(node).fontSize || node.getAttribute("font-size")),
               inside: r.left >= outer.left - 1 && r.right <= outer.right + 1 && r.top >= outer.top - 1
                 && r.bottom <= outer.bottom + 1 };
    });
    return { texts, width: outer.width, panelWidth: panel.width };
  }, test);
}

await run(async browser => {
  const periods = await load();
  const streetNames = {};
  for (const code of d.streets) streetNames[code] = (await api("GET", `/v1/grid/units/${code}`)).name;

  // --- the leader at the district --------------------------------------------
  const page = await newPage(browser);
  await logIn(page, "leader");
  // The home page: where the leader works, their role, their workflows as
  // cards; the card opens the view.
  const district = await api("GET", `/v1/grid/units/${d.code}`);
  await page.waitForSelector('[data-test="home-unit"]');
  await page.waitForFunction(name => document.querySelector('[data-test="home-unit"]').textContent.includes(name),
                             district.name);
  check((await page.locator('[data-test="home-unit"]').innerText()) === `区：${district.name}`,
        `the home page names the leader's unit: 区：${district.name}`);
  check((await page.locator(".home-role").allInnerTexts()).map(s => s.trim()).includes("领导"), "and their role, 领导");
  check(await page.locator('[data-test="nav-leader"]').count() === 1, "the menu has 领导驾驶舱");
  check((await page.locator('[data-test="open-leader"]').innerText()).startsWith("领导驾驶舱"), "a card opens 领导驾驶舱");
  await screenshot(page, "leader-home");
  await page.locator('[data-test="open-leader"]').click();
  await settled(page, d.code);
  check((await page.locator('[data-test="unit-title"]').innerText()).startsWith("区："), "the leader starts at the district");
  for (const p of PANELS)
    check(await page.getAttribute(`[data-panel="${p}"]`, "data-state") === "ready", `panel ${p} is ready`);

  const grid = await api("GET", `/v1/grid/summary?under=${d.code}`);
  check(figure(await tile(page, "grid", "streets")) === grid.streets, `streets: ${grid.streets}`);
  check(figure(await tile(page, "grid", "households")) === grid.households, `households: ${grid.households}`);
  check(figure(await tile(page, "grid", "residents")) === grid.residents, `residents: ${grid.residents}`);
  check(figure(await tile(page, "grid", "households_in_difficulty")) === grid.households_in_difficulty,
        `households in difficulty: ${grid.households_in_difficulty}`);

  const backlog = await api("GET", `/v1/intake/backlog?under=${d.code}`);
  check(backlog.total.overdue >= 1, `the services count ${backlog.total.overdue} overdue`);
  check(figure(await tile(page, "backlog", "open")) === backlog.total.open, `open cases: ${backlog.total.open}`);
  check(figure(await tile(page, "backlog", "overdue")) === backlog.total.overdue, `overdue: ${backlog.total.overdue}`);
  check(figure(await tile(page, "backlog", "dueSoon")) === backlog.total.due_soon, `due soon: ${backlog.total.due_soon}`);

  // The table: one row per street, each service's figures on it.
  const rows = await page.locator('[data-test="units-table"] .el-table__body tr').evaluateAll(trs => trs.map(tr => ({
    unit: tr.querySelector("[data-unit]").dataset.unit, name: tr.querySelector("[data-unit]").textContent,
    ...Object.fromEntries([...tr.querySelectorAll("[data-col]")].map(n => [n.dataset.col, n.textContent])) })));
  check(rows.length === d.streets.length, `one row per street (${rows.length})`);
  const current = await api("GET", `/v1/evaluation/scorecards/${periods.current}`);
  const last = await api("GET", `/v1/evaluation/scorecards/${periods.last}`).catch(() => null);
  const jobs = await api("GET", `/v1/employment/statistics?under=${d.code}&from=${periods.current.slice(0, 4)}-${
    periods.current.endsWith("H1") ? "01" : "07"}-01&to=${districtDay()}&group_by=STATISTICS_GROUPING_STREET`);
  for (const code of d.streets) {
    const row = rows.find(r => r.unit === code);
    const b = backlog.rows.find(r => r.unit_code === code) || {};
    const g = await api("GET", `/v1/grid/summary?under=${code}`);
    const v = await api("GET", `/v1/volunteer/summary?under=${code}`);
    const j = jobs.rows.find(r => r.unit_code === code) || {};
    const s = current.streets.find(r => r.unit_code === code);
    const sl = last && last.streets.find(r => r.unit_code === code);
    check(row && row.name === streetNames[code], `${code} is named ${streetNames[code]}`);
    check(figure(row.households) === g.households && figure(row.open) === (b.open || 0)
          && figure(row.overdue) === (b.overdue || 0) && figure(row.volunteers) === v.volunteers
          && figure(row.placed) === (j.people_placed || 0),
          `${streetNames[code]}: households ${g.households}, open ${b.open || 0}, overdue ${b.overdue || 0}, `
          + `volunteers ${v.volunteers}, placed ${j.people_placed || 0} (${JSON.stringify(row)})`);
    check(row.composite === one(composite(s)), `${streetNames[code]}: composite ${row.composite}`);
    const delta = composite(s) !== null && composite(sl) !== null ? composite(s) - composite(sl) : null;
    check(row["composite-change"] === (delta === null ? "–" : (delta > 0 ? "+" : delta < 0 ? "-" : "") + one(Math.abs(delta))),
          `${streetNames[code]}: against the last half-year ${row["composite-change"]}`);
  }

  const volunteers = await api("GET", `/v1/volunteer/summary?under=${d.code}`);
  check(figure(await tile(page, "volunteer", "volunteers")) === volunteers.volunteers, `volunteers: ${volunteers.volunteers}`);
  check(figure(await tile(page, "volunteer", "hours")) === volunteers.approved_hours,
        `approved hours: ${volunteers.approved_hours}`);
  check(figure(await tile(page, "employment", "placed")) === jobs.total.people_placed,
        `people placed this half-year: ${jobs.total.people_placed}`);
  check((await page.locator('[data-delta="placed"]').innerText()).includes(periods.last), "placements of the last half-year beside");
  check(await tile(page, "scorecard", "composite") === one(composite(current.district)),
        `district composite ${one(composite(current.district))} for ${periods.current}`);
  check(composite(current.district) !== null, "the current half-year has a score (the cases count)");

  // The overdue list: the services' overdue cases with their due time.
  const overdue = await api("GET", `/v1/intake/cases?under=${d.code}&overdue_only=true&page_size=20`);
  const shown = await page.locator('[data-test="overdue-table"] [data-col="registration"]').allInnerTexts();
  check(shown.length === overdue.cases.length
        && shown.every((text, i) => text === overdue.cases[i].registration_number),
        `the overdue list shows ${overdue.cases.length} cases by registration number`);
  const dues = await page.locator('[data-test="overdue-table"] [data-col="due"]').allInnerTexts();
  check(dues[0] === districtTime(overdue.cases[0].due_unix_ms), `due time in the district's time: ${dues[0]}`);

  // Charts: street names as labels, inside the chart, legible.
  for (const chart of ["chart-backlog", "chart-volunteer", "chart-employment", "chart-scorecard"]) {
    const { texts, width, panelWidth } = await chartTexts(page, chart);
    check(d.streets.every(code => texts.some(t => t.text === streetNames[code])), `${chart} labels every street`);
    check(texts.every(t => t.inside), `${chart}: no label clipped (${texts.filter(t => !t.inside).map(t => t.text)})`);
    check(texts.every(t => !(t.size < 12)), `${chart}: labels at least 12 px`);
    check(width <= panelWidth, `${chart} fits its panel (${width} <= ${panelWidth})`);
  }
  // The map: every zone of the district with a dot and its name.
  const zones = (await api("GET", `/v1/grid/units?under=${d.code}&kind=UNIT_KIND_ZONE&page_size=200`)).units;
  const map = await chartTexts(page, "chart-map");
  check(zones.every(z => map.texts.some(t => t.text === z.name)), `the map shows all ${zones.length} zones`);
  await page.locator('[data-test="measure-overdue"]').click();
  await page.locator('[data-test="measure-satisfaction"]').click();
  check((await page.locator('[data-panel="map"]').innerText()).includes("满意度"), "the map can be coloured by satisfaction");
  await checkNoOverflow(page, "the district at 1366 px");
  await screenshot(page, "leader-district");

  // A narrower window: the charts follow.
  await page.setViewportSize({ width: 900, height: 768 });
  await page.waitForTimeout(400);
  const narrow = await chartTexts(page, "chart-backlog");
  check(narrow.width <= narrow.panelWidth && narrow.texts.every(t => t.inside), "the charts resize with the window");
  await page.setViewportSize({ width: 1366, height: 768 });

  // --- drill-down ----------------------------------------------------------------
  await page.locator(`[data-test="units-table"] [data-unit="${d.streets[0]}"]`).click();
  await settled(page, d.streets[0]);
  check((await page.locator('[data-test="unit-title"]').innerText()) === `街道：${streetNames[d.streets[0]]}`, "the street opens");
  const streetBacklog = await api("GET", `/v1/intake/backlog?under=${d.streets[0]}`);
  check(figure(await tile(page, "backlog", "open")) === streetBacklog.total.open, "the street's backlog is its own");
  await page.locator(`[data-test="units-table"] [data-unit="${d.communities[0]}"]`).click();
  await settled(page, d.communities[0]);
  check((await page.locator('[data-test="unit-title"]').innerText()).startsWith("社区："), "the community opens");
  check(await page.locator(`[data-test="units-table"] [data-unit="${d.zones[0]}"]`).count() === 1, "it lists its zones");
  await page.locator(`[data-test="units-table"] [data-unit="${d.zones[0]}"]`).click();
  await settled(page, d.zones[0]);
  const zone = await api("GET", `/v1/grid/zones/${d.zones[0]}`);
  const responsible = await page.locator('[data-test="responsible"]').innerText();
  check(zone.responsible.length > 0 && zone.responsible.every(r => responsible.includes(r.staff_name || r.staff_id)),
        `the zone names who answers for it: ${responsible}`);
  check(figure(await tile(page, "grid", "households")) === zone.households, `the zone's households: ${zone.households}`);
  check((await page.locator('[data-test="trail"]').innerText()).split("›").length === 4, "the trail: district › street › community › zone");
  await screenshot(page, "leader-zone");
  await page.locator(`[data-test="trail-${d.code}"]`).click();
  await settled(page, d.code);
  check(true, "back at the district through the trail");
  checkNoErrors(page, "the leader's pages");
  await page.context().close();

  // --- a service that does not answer ----------------------------------------
  // The harness cannot stop a daemon from here, so the browser is made to
  // get what the gateway answers for a daemon that is down (503
  // UNAVAILABLE) from volunteer and evaluation.
  const down = await newPage(browser);
  await logIn(down, "leader");
  await down.route(/\/v1\/(volunteer|evaluation)\//, route => route.fulfill({
    status: 503, contentType: "application/json",
    body: JSON.stringify({ error: { status: "UNAVAILABLE", message: "the service did not answer" } }) }));
  await down.goto(fixture.gateway + "/#/leader");
  await settled(down, d.code);
  for (const p of PANELS) {
    const state = await down.getAttribute(`[data-panel="${p}"]`, "data-state");
    const text = await down.locator(`[data-panel="${p}"]`).innerText();
    if (p === "volunteer" || p === "scorecard")
      check(state === "unavailable" && text.includes("暂不可用") && !text.includes("已填写"),
            `${p} says 暂不可用 while its service is down`);
    else check(state === "ready", `${p} still works`);
  }
  await screenshot(down, "leader-degraded");
  await down.context().close();

  // --- a phone -----------------------------------------------------------------
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "leader");
  await phone.goto(fixture.gateway + "/#/leader");
  await settled(phone, d.code);
  await checkNoOverflow(phone, "the district at 375 px");
  const widths = await phone.locator(".leader-panel").evaluateAll(ps => ps.map(p => p.getBoundingClientRect().width));
  check(widths.every(w => w <= 375), `panels stacked at 375 px (${Math.max(...widths)} px wide at most)`);
  const small = await chartTexts(phone, "chart-backlog");
  check(small.texts.every(t => t.inside), "a phone's chart labels are not clipped");
  await screenshot(phone, "leader-phone");
  checkNoErrors(phone, "the leader's pages on a phone");
  await phone.context().close();

  // --- who else ---------------------------------------------------------------------
  const clerk = await newPage(browser);
  await logIn(clerk, "window_clerk");
  check(await clerk.locator('[data-test="nav-leader"]').count() === 0, "a window clerk has no 领导驾驶舱 in the menu");
  await clerk.goto(fixture.gateway + "/#/leader");
  await clerk.waitForFunction(() => location.hash === "#/");
  check(await clerk.locator(".leader").count() === 0, "a window clerk opening /leader lands on the home page");
  await clerk.context().close();

  const street = await newPage(browser);
  await logIn(street, "street_staff");
  await street.locator('[data-test="nav-leader"]').click();
  await settled(street, fixture.people.street_staff.unit);
  check((await street.locator('[data-test="unit-title"]').innerText()).startsWith("街道："), "a street's staff start at their street");
  check(await street.locator(`[data-test="trail-${d.code}"]`).count() === 0, "and the trail does not lead above it");
  checkNoErrors(street, "the street's pages");
  await street.context().close();
});
