// 考核评估's 指标 tab (audit29 A2): the district's own-work KPIs of issue 19
// and the rework figures per street and per community for the current
// half-year, as evaluation computes them. A leader visits their contact
// point and records three problems, one solved (through the API: what the
// page starts from); once evaluation has counted them, the appraisal office
// opens 指标, and every cell of the street and the community tables (value,
// numerator / denominator) is compared with the service's KpiValues for
// that unit and KPI; 联系点问题解决率 of the point's street reads the share
// the service gives. A leader reads the same tab. Screenshots at 1366 px
// and 375 px.
import { api, check, checkNoErrors, checkNoOverflow, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const leader = fixture.people.leader;
const community = d.communities[d.communities.length - 1];
const street = community.slice(0, 9);
const tag = String(Date.now()).slice(-6);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
  .format(new Date()).split("-").map(Number);
const period = `${year}-H${month > 6 ? 2 : 1}`;

// The leader's point (maybe there from an earlier run), a visit, three problems, one solved.
try {
  await api("POST", "/v1/grid/responsibilities", {
    staff_id: leader.staff_id, unit_code: community, kind: "RESPONSIBILITY_KIND_LEADER_CONTACT",
  });
} catch (error) {
  if (!/\b409\b|ALREADY_EXISTS/.test(String(error))) throw error;
}
const visit = await api("POST", "/v1/grid/contact-visits", {
  staff_id: leader.staff_id, point_code: community, findings: `走访联系点，听取居民意见${tag}`,
  problems: [{ description: `楼道灯损坏${tag}` }, { description: `助餐点太远${tag}` }, { description: `小区停车难${tag}` }],
});
await api("PATCH", `/v1/grid/contact-problems/${visit.problems[0].id}`, {
  status: "CONTACT_PROBLEM_STATUS_SOLVED", resolution: "物业已更换楼道灯", expected_version: visit.problems[0].version,
});

const kpiValues = async kind => (await api("GET", `/v1/evaluation/kpi-values?period=${period}&kind=${kind}`)).values || [];
// Evaluation follows grid: wait until the street's problems found include this visit's.
const found = async () => {
  const facts = await api("GET", `/v1/evaluation/fact-values?period=${period}&unit_code=${street}`);
  const fact = (facts.values || []).find(f => f.fact === "contact_problems_found");
  return fact ? Number(fact.value) : 0;
};
let street_found = 0;
for (let i = 0; i < 120 && street_found < 3; i++) {
  street_found = await found();
  if (street_found < 3) await sleep(250);
}
check(street_found >= 3, `evaluation counted the visit's problems in ${street} (${street_found} found this half-year)`);

const format = (x, digits = 2) => new Intl.NumberFormat("zh-CN", { maximumFractionDigits: digits }).format(Number(x || 0));
const expectedCell = v => v.has_value ? format(v.value) : "–";

async function compareTable(page, kind, label) {
  await page.locator(`[data-test="indicator-kind-${kind === "UNIT_KIND_STREET" ? "street" : "community"}"]`).click();
  const values = await kpiValues(kind);
  const units = [...new Set(values.map(v => v.unit_code))];
  await page.locator(`[data-test="indicator-unit-${units[units.length - 1]}"]`).waitFor();
  const heads = await page.locator('[data-test^="indicator-head-"]').evaluateAll(es => es.map(e => e.dataset.test.slice(15)));
  const shown = new Set(heads);
  for (const code of ["funding_to_residents", "part_time_attendance", "cobuilding_kept", "contact_problem_solved",
    "contact_problem_dealt", "department_visits_per_pairing", "answer_rework_rate", "answer_complaint_rate",
    "case_reopened_share"])
    check(shown.has(code), `${label}: the column ${code} is there`);
  const cells = await page.locator('[data-test="indicators"] [data-test^="indicator-3"]').evaluateAll(es =>
    Object.fromEntries(es.map(e => [e.dataset.test, e.innerText.trim()])));
  let compared = 0;
  for (const v of values.filter(v => shown.has(v.kpi_code))) {
    const text = cells[`indicator-${v.unit_code}-${v.kpi_code}`];
    const want = `${expectedCell(v)}\n${format(v.numerator)} / ${format(v.denominator)}`;
    if (text !== want) throw new Error(`check failed: ${label} ${v.unit_code} ${v.kpi_code}: page "${text}", service "${want}"`);
    compared++;
  }
  check(compared === units.length * shown.size,
        `${label}: all ${compared} cells (${units.length} units x ${shown.size} KPIs) read as KpiValues gives them`);
  const heading = await page.locator(`[data-test="indicator-head-contact_problem_solved"]`).first().innerText();
  check(heading.trim() === "联系点问题解决率", `${label}: the column is named in Chinese (${heading.trim()})`);
  return values;
}

await run(async browser => {
  const page = await newPage(browser);
  checkNoErrors(page, "the 指标 tab");
  await logIn(page, "appraisal_office");
  await page.goto(`${fixture.gateway}/#/appraisal?tab=indicators&period=${period}`);
  await page.locator('[data-test="indicators"]').waitFor();
  const streets = await compareTable(page, "UNIT_KIND_STREET", "streets");
  const solved = streets.find(v => v.unit_code === street && v.kpi_code === "contact_problem_solved");
  check(solved && solved.has_value && solved.numerator >= 1 && solved.denominator >= 3 && solved.value <= 100,
        `${street}: 联系点问题解决率 ${solved && solved.value} (${solved && solved.numerator} of ${solved && solved.denominator})`);
  await screenshot(page, "appraisal-indicators-streets");
  await compareTable(page, "UNIT_KIND_COMMUNITY", "communities");
  await checkNoOverflow(page, "the 指标 tab at 1366 px");
  await screenshot(page, "appraisal-indicators-communities");
  const text = await page.evaluate(() => document.body.textContent);
  check(!/\bappraisal\.[a-z]/.test(text) && !/contact_problem|department_visits/.test(text),
        "no message key or KPI code shows in place of words");

  // A leader reads the same tab, on a phone.
  const phone = await newPage(browser, { width: 375, height: 800 });
  await logIn(phone, "leader");
  await phone.goto(`${fixture.gateway}/#/appraisal?tab=indicators&period=${period}`);
  await phone.locator(`[data-test="indicator-unit-${street}"]`).waitFor();
  await screenshot(phone, "appraisal-indicators-phone");
});
