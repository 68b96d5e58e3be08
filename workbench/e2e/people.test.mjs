// 人员考核 (issue 19): the window clerk registered and resolved two cases
// (loaded through the admin API as the clerk's own steps, one rated 5 and
// one 3); the clerk opens 人员考核 and reads their own figures, which must
// equal what the service answers, gets no team and is refused a colleague's
// figures, and writes the half-year report (述职) with the figures attached;
// the community's staff read the team's figures and grade the report 优秀;
// the appraisal office records an award (双挂钩) linked to that grade, and is
// refused one for a person without a graded report; on 考核评估 a scheme's
// street and community targets are shown, and each unit's line the target
// it was scored against. What a person is measured on (the person KPIs the
// appraisal office defines) is listed with the values the service gives;
// a manager picks the team's unit from the units grid has under them, by
// name (the community's staff their community, the appraisal office every
// street and community of the district). Screenshots in zh-CN at 1366x768,
// the clerk's page in English and at 375 px, the picker at 375 px.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot, districtDay } from "./lib.mjs";

const d = fixture.district;
const clerk = fixture.people.window_clerk;
const community = fixture.people.community_staff;
const [year, month] = districtDay().split("-").map(Number);
const period = month > 6 ? `${year}-H2` : `${year}-H1`;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const fmt = (value, digits) => new Intl.NumberFormat("zh-CN", { maximumFractionDigits: digits }).format(Number(value || 0));

// --- the clerk's cases, as their own steps ---------------------------------------------
const hour = 3600000, now = Date.now();
async function clerkCase(household, rating, hoursAgo) {
  const as = at => ({ at_unix_ms: now - at * hour, actor_id: clerk.staff_id });
  const c = await api("POST", "/v1/intake/cases", {
    channel: "CASE_CHANNEL_WINDOW", item_code: "residence-certificate", description: "人员考核测试",
    requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: household, name: "住户" }, imported: as(hoursAgo) });
  await api("POST", `/v1/intake/cases/${c.id}/resolve`, { resolution: "已当场办结", imported: as(hoursAgo - 1) });
  await api("POST", `/v1/intake/cases/${c.id}/close`, { satisfaction: rating, imported: as(hoursAgo - 2) });
  return c;
}
await clerkCase(d.households[0][3], 5, 5);
await clerkCase(d.households[0][4], 3, 4);

const figuresPath = id => `/v1/evaluation/staff-figures/${id}?period=${period}`;
let figures = null;
for (let i = 0; i < 100; i++) {
  figures = await api("GET", figuresPath(clerk.staff_id));
  if (Number(figures.cases_handled || 0) >= 2) break;
  await sleep(200);
}
check(Number(figures.cases_handled) >= 2 && Number(figures.cases_registered) >= 2,
      `evaluation counts the clerk's cases: registered ${figures.cases_registered}, handled ${figures.cases_handled}`);

const rowOf = (page, table, text) => page.locator(`[data-test="${table}"] .el-table__body tr`, { hasText: text });
const KEYS = [["cases_registered", 0], ["cases_handled", 0], ["cases_handled_on_time", 0], ["on_time_rate", 1],
  ["cases_reworked", 0], ["return_visits", 0], ["satisfaction", 2], ["average_handling_hours", 1]];

await run(async browser => {
  // The clerk: their own figures, no team, a colleague's refused.
  const page = await newPage(browser);
  await logIn(page, "window_clerk");
  await page.locator('[data-test="nav-people"]').click();
  await page.waitForSelector('[data-test="mine-cases_handled"]');
  figures = await api("GET", figuresPath(clerk.staff_id));
  for (const [key, digits] of KEYS) {
    const shown = (await page.locator(`[data-test="mine-${key}"]`).innerText()).trim();
    check(shown === fmt(figures[key], digits), `the clerk's ${key} is ${shown}, as the service says (${figures[key]})`);
  }
  // What the clerk is measured on: each current person KPI, as the service gives it.
  check((figures.kpis || []).length >= 4, `the figures carry the person KPIs (${(figures.kpis || []).length})`);
  for (const k of figures.kpis || []) {
    const shown = (await page.locator(`[data-test="kpi-${k.code}"]`).innerText()).trim();
    const digits = k.unit_label === "%" || k.unit_label === "小时" ? 1 : 2;
    const want = k.has_value ? `${fmt(k.value, digits)}${k.unit_label ? ` ${k.unit_label}` : ""}` : "–";
    check(shown === want, `${k.name} reads ${shown}, as the service says (${k.has_value ? k.value : "none"})`);
  }
  const kpiNames = (await page.locator('[data-test="mine-kpis"] .el-table__body tr td:first-child').allInnerTexts())
    .map(s => s.trim());
  check(JSON.stringify(kpiNames) === JSON.stringify((figures.kpis || []).map(k => k.name)),
        `the KPIs are named as defined: ${kpiNames.join("、")}`);
  check(await page.locator(".el-tabs__item", { hasText: "团队业绩" }).count() === 0, "a window clerk has no team tab");
  const refused = await page.evaluate(async path => (await fetch(path, { credentials: "same-origin" })).status,
                                      figuresPath(community.staff_id));
  check(refused === 403, `the clerk is refused a colleague's figures (HTTP ${refused})`);
  await screenshot(page, "people-mine");

  // The report, with the figures attached.
  await page.locator(".el-tabs__item", { hasText: "述职考核" }).click();
  const text = "上半年窗口受理工作述职：\n一、按时办结群众诉求；\n二、存在不足：个别事项回访满意度不高。";
  await page.locator(field("report-text")).fill(text);
  await page.locator('[data-test="report-submit"]').click();
  await page.waitForSelector('[data-test="my-report"]');
  const listed = (await api("GET", `/v1/evaluation/appraisal-reports?period=${period}`)).reports
    .find(r => r.staff_id === clerk.staff_id);
  check(listed && listed.text === text && listed.submitted_by === clerk.staff_id && listed.staff_figures
        && Number(listed.staff_figures.cases_handled) === Number(figures.cases_handled),
        `the report is stored as typed, by the clerk, with the figures at submission (handled ${listed?.staff_figures?.cases_handled})`);
  check((await page.locator('[data-test="my-report-text"]').innerText()) === text, "the page shows the report as typed");
  check((await page.locator('[data-test="attached-cases_handled"]').innerText()).trim() === fmt(figures.cases_handled, 0),
        "the attached figures are shown");
  check((await page.locator('[data-test="my-grade"]').innerText()).trim() === "待评定", "the report waits for its grade");
  await screenshot(page, "people-report");

  // In English, and on a phone.
  await page.evaluate(() => localStorage.setItem("sifang.locale", "en"));
  await page.goto(`${fixture.gateway}/#/people?tab=mine&period=${period}`);
  await page.reload();
  await page.waitForSelector('[data-test="mine-cases_handled"]');
  check(await page.locator(".el-tabs__item", { hasText: "My figures" }).count() === 1, "the page speaks English on request");
  await screenshot(page, "people-mine-en");
  await page.evaluate(() => localStorage.setItem("sifang.locale", "zh-CN"));
  checkNoErrors(page, "the clerk's page");
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "window_clerk");
  await phone.goto(`${fixture.gateway}/#/people?tab=mine&period=${period}`);
  await phone.waitForSelector('[data-test="mine-cases_handled"]');
  await checkNoOverflow(phone, "人员考核 at 375 px");
  await screenshot(phone, "people-mine-375");
  await phone.context().close();
  await page.context().close();

  // The community's staff: the team, and the grade.
  const manager = await newPage(browser);
  await logIn(manager, "community_staff");
  await manager.goto(`${fixture.gateway}/#/people?tab=team&period=${period}`);
  await manager.waitForSelector('[data-test="team"] .el-table__body tr');
  // The unit is picked, not typed: the community's staff see their community, by grid's name.
  const home = await api("GET", `/v1/grid/units/${d.communities[0]}`);
  const picked = (await manager.locator('[data-test="under"] .el-select__placeholder').innerText()).trim();
  check(picked === home.name, `the team's unit reads ${picked}, grid's name of ${d.communities[0]}`);
  await manager.locator('[data-test="under"]').click();
  const options = page => page.locator('li[data-test^="under-"]:visible');
  await options(manager).first().waitFor();
  const managerOptions = (await options(manager).allInnerTexts()).map(s => s.trim());
  check(JSON.stringify(managerOptions) === JSON.stringify([home.name]),
        `a community's staff may pick their community only: ${managerOptions.join("、")}`);
  await manager.keyboard.press("Escape");
  const team = (await api("GET", `/v1/evaluation/staff-figures?under=${d.communities[0]}&period=${period}`)).staff;
  const mineInTeam = team.find(s => s.staff_id === clerk.staff_id);
  const cells = (await rowOf(manager, "team", mineInTeam.name).first().locator("td").allInnerTexts()).map(s => s.trim());
  check(cells[1] === home.name && cells[2] === fmt(mineInTeam.cases_registered, 0)
        && cells[3] === fmt(mineInTeam.cases_handled, 0) && cells[6] === fmt(mineInTeam.satisfaction, 2),
        `the manager's team shows the clerk as the service does: ${cells.slice(0, 7).join(" | ")}`);
  await screenshot(manager, "people-team");
  await manager.locator(".el-tabs__item", { hasText: "述职考核" }).click();
  await manager.waitForSelector(`[data-test="grade-${listed.id}"]`);
  await manager.locator(`[data-test="grade-${listed.id}"]`).click();
  await manager.locator('[data-test="grade-APPRAISAL_GRADE_EXCELLENT"]').click();
  await manager.locator(field("grade-note")).fill("受理规范，群众满意");
  await screenshot(manager, "people-grade");
  await manager.locator('[data-test="grade-save"]').click();
  await manager.waitForSelector(`[data-test="grade-of-${listed.id}"]`);
  check((await manager.locator(`[data-test="grade-of-${listed.id}"]`).innerText()).trim() === "优秀", "the report shows 优秀");
  const graded = await api("GET", `/v1/evaluation/appraisal-reports/${listed.id}`);
  check(graded.grade === "APPRAISAL_GRADE_EXCELLENT" && graded.graded_by === community.staff_id
        && graded.grade_note === "受理规范，群众满意" && Number(graded.version) === 2,
        `the service holds the grade, by the manager, with the note (version ${graded.version})`);
  checkNoErrors(manager, "the manager's page");
  await manager.context().close();

  // The appraisal office picks any street or community of the district by
  // name; the team is the one the service gives for it.
  const office = await newPage(browser);
  await logIn(office, "appraisal_office");
  await office.goto(`${fixture.gateway}/#/people?tab=team&period=${period}`);
  await office.waitForSelector('[data-test="under"] .el-select__placeholder:not(.is-transparent)');
  const districtUnit = await api("GET", `/v1/grid/units/${d.code}`);
  const gridUnits = async kind => {
    const units = [];
    let token = "";
    do {
      const reply = await api("GET", `/v1/grid/units?under=${d.code}&kind=${kind}&page_size=200&page_token=${token}`);
      units.push(...(reply.units || []));
      token = reply.next_page_token || "";
    } while (token);
    return units;
  };
  const streets = await gridUnits("UNIT_KIND_STREET"), communities = await gridUnits("UNIT_KIND_COMMUNITY");
  await office.locator('[data-test="under"]').click();
  await options(office).first().waitFor();
  const officeOptions = (await options(office).allInnerTexts()).map(s => s.trim());
  const streetName = code => streets.find(s => s.code === code).name;
  const wantOptions = [districtUnit.name, ...streets.sort((a, b) => a.code.localeCompare(b.code)).flatMap(s =>
    [s.name, ...communities.filter(c => c.parent_code === s.code).sort((a, b) => a.code.localeCompare(b.code))
      .map(c => `${s.name} · ${c.name}`)])];
  check(JSON.stringify(officeOptions) === JSON.stringify(wantOptions),
        `the office picks from the district, its ${streets.length} streets and ${communities.length} communities by name: ${officeOptions.join("、")}`);
  const target = communities.find(c => c.code === d.communities[0]);
  await office.locator('[data-test="under"] input').fill(target.name);
  await office.locator(`li[data-test="under-${target.code}"]:visible`).click();
  await office.waitForSelector('[data-test="team"] .el-table__body tr');
  const officeTeam = (await api("GET", `/v1/evaluation/staff-figures?under=${target.code}&period=${period}`)).staff;
  const officeRows = (await office.locator('[data-test="team"] .el-table__body tr td:first-child').allInnerTexts())
    .map(s => s.trim());
  check(JSON.stringify(officeRows) === JSON.stringify(officeTeam.map(s => s.name)),
        `picking ${streetName(target.parent_code)} · ${target.name} shows its team as the service gives it: ${officeRows.join("、")}`);
  await screenshot(office, "people-team-picker");
  const officePhone = await newPage(browser, { width: 375, height: 740 });
  await logIn(officePhone, "appraisal_office");
  await officePhone.goto(`${fixture.gateway}/#/people?tab=team&period=${period}`);
  await officePhone.waitForSelector('[data-test="team"]');
  await officePhone.locator('[data-test="under"]').click();
  await options(officePhone).first().waitFor();
  await checkNoOverflow(officePhone, "the team's unit picker at 375 px");
  await screenshot(officePhone, "people-team-picker-375");
  checkNoErrors(officePhone, "the office's page at 375 px");
  await officePhone.context().close();

  // What a person is measured on: the office reads the definitions in
  // words and changes 返工率 to per thousand; the clerk's figure follows
  // the new version; put back after.
  await office.goto(`${fixture.gateway}/#/people?tab=kpis&period=${period}`);
  await office.reload();   // the same page: only the hash changed
  await office.waitForSelector('[data-test="kpi-edit-rework_rate"]');
  const defined = await api("GET", "/v1/evaluation/person-kpis");
  const factName = Object.fromEntries(defined.facts.map(f => [f.code, f.name]));
  const defRows = (await office.locator('[data-test="kpi-defs"] .el-table__body tr td:first-child').allInnerTexts())
    .map(s => s.trim());
  check(JSON.stringify(defRows) === JSON.stringify(defined.kpis.map(k => k.name)),
        `the office reads the ${defined.kpis.length} definitions as the service lists them: ${defRows.join("、")}`);
  const formula = (await office.locator('[data-test="formula-on_time_rate"]').innerText()).trim();
  check(formula === `${factName.cases_handled_on_time} ÷ ${factName.cases_handled} × 100`,
        `按时办结率 reads in words: ${formula}`);
  await office.locator('[data-test="kpi-edit-rework_rate"]').click();
  await office.locator(field("kpi-name")).fill("返工率（每千件）");
  await office.locator(field("kpi-factor")).fill("1000");
  await office.locator(field("kpi-unit-label")).fill("‰");
  await screenshot(office, "people-kpi-edit");
  await office.locator('[data-test="kpi-save"]').click();
  await office.waitForSelector('[data-test="kpi-dialog"]', { state: "hidden" });
  const changed = (await api("GET", "/v1/evaluation/person-kpis")).kpis.find(k => k.code === "rework_rate");
  check(changed.name === "返工率（每千件）" && Number(changed.factor) === 1000 && changed.unit_label === "‰"
        && changed.version === 2
        && changed.defined_by === (fixture.people.appraisal_office.staff_id || `acct:${fixture.people.appraisal_office.login}`),
        `the service holds 返工率 version ${changed.version}, by the office, per thousand`);
  check((await office.locator('[data-test="formula-rework_rate"]').innerText()).trim()
        === `${factName.cases_reworked} ÷ ${factName.cases_handled} × 1000`, "the page reads the new definition");
  const after = await api("GET", figuresPath(clerk.staff_id));
  const rework = after.kpis.find(k => k.code === "rework_rate");
  check(rework && rework.name === "返工率（每千件）" && rework.version === 2
        && Number(rework.value || 0) === 1000 * Number(after.cases_reworked || 0) / Number(after.cases_handled),
        `the clerk's 返工率 follows version 2: ${rework && rework.value}`);
  await screenshot(office, "people-kpis");
  await api("POST", "/v1/evaluation/person-kpis", { ...changed, name: "返工率", factor: 100, unit_label: "%",
    version: undefined, defined_unix_ms: undefined, defined_by: undefined });

  // The appraisal office: an award linked to the grade; none without one.
  await office.goto(`${fixture.gateway}/#/people?tab=awards&period=${period}`);
  await office.reload();
  await office.waitForSelector('[data-test="award-submit"]');
  await office.locator(field("award-name")).fill("优秀窗口服务人员");
  await office.locator(field("award-subject")).fill(community.staff_id);
  await office.locator('[data-test="award-submit"]').click();
  await office.waitForSelector('[data-test="error"]');
  const before = (await api("GET", `/v1/evaluation/awards?period=${period}`)).awards || [];
  check(!before.some(a => a.staff_id === community.staff_id), "an award without a graded report is refused and not written");
  await office.locator(field("award-subject")).fill(clerk.staff_id);
  await office.locator('[data-test="award-submit"]').click();
  await office.waitForSelector(`[data-test="awards"] .el-table__body tr`);
  const award = ((await api("GET", `/v1/evaluation/awards?period=${period}`)).awards || [])
    .find(a => a.staff_id === clerk.staff_id);
  check(award && award.outcome === "AWARD_OUTCOME_AWARDED" && award.appraisal_grade === "APPRAISAL_GRADE_EXCELLENT"
        && award.appraisal_report_id === listed.id && award.award === "优秀窗口服务人员",
        "the award is recorded with the grade it is linked to");
  const row = (await rowOf(office, "awards", "优秀窗口服务人员").first().locator("td").allInnerTexts()).map(s => s.trim());
  check(row[2] === "授予" && row[3] === "优秀", `the page shows the award and its link: ${row.join(" | ")}`);
  await screenshot(office, "people-awards");

  // Targets by level, on 考核评估: a half-year no other test scores (two
  // back), its scheme's backlog with a street's and a community's own
  // target; each unit's line shows the target it was scored against.
  const older = `${year - 1}-H${month > 6 ? 2 : 1}`;
  await api("POST", "/v1/evaluation/schemes", { period: older, name: "分级目标考核", items: [
    { kpi_code: "backlog", weight: 1, target: 0, threshold: 5, levels: [
      { unit_kind: "UNIT_KIND_STREET", target: 2, threshold: 20 },
      { unit_kind: "UNIT_KIND_COMMUNITY", target: 0, threshold: 8 }] }] });
  const card = await api("GET", `/v1/evaluation/scorecards/${older}`);
  await office.goto(`${fixture.gateway}/#/appraisal?tab=scorecard&period=${older}`);
  await office.waitForSelector('[data-test="level-target-backlog-UNIT_KIND_STREET"]');
  const levelText = async what => (await office.locator(`[data-test="${what}"]`).innerText()).trim();
  check(await levelText("level-target-backlog-UNIT_KIND_STREET") === "街道 2"
        && await levelText("level-threshold-backlog-UNIT_KIND_STREET") === "街道 20"
        && await levelText("level-target-backlog-UNIT_KIND_COMMUNITY") === "社区 0"
        && await levelText("level-threshold-backlog-UNIT_KIND_COMMUNITY") === "社区 8",
        "the scheme shows the street's and the community's own targets and thresholds");
  for (const [group, unit, target, threshold] of [["streets", card.streets[0], "2", "20"],
                                                   ["communities", card.communities[0], "0", "8"]]) {
    const item = unit.items[0];
    check(fmt(item.target, 2) === target && fmt(item.threshold, 2) === threshold,
          `the service scored ${unit.unit_name} against its level's target ${item.target} and threshold ${item.threshold}`);
    await rowOf(office, `units-${group}`, unit.unit_name).first().locator(".el-table__expand-icon").click();
    const cells = (await office.locator(`[data-test="units-${group}"] .apr-items .el-table__body tr`).first()
      .locator("td").allInnerTexts()).map(s => s.trim());
    check(cells[2] === target && cells[3] === threshold && cells[4] === fmt(item.score, 1),
          `${unit.unit_name}: target ${cells[2]}, threshold ${cells[3]}, score ${cells[4]} as the service says`);
  }
  await screenshot(office, "appraisal-level-targets");
  checkNoErrors(office, "the appraisal office's pages");
});
