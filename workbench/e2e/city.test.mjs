// 全市排名: the city's evaluation (evaluation@city, started by the harness
// with a tiny second district, 市北区, beside the suite's 四方区:
// tests/workbench/workbench_city.c) follows both districts' logs. The test
// defines the city's KPIs and this half-year's scheme through the gateway,
// waits until the city's figures are those SQL gives for both districts
// (CITY_FIGURES: households, residents, households in difficulty per
// district, read by the harness as this test starts), then a leader opens
// 全市排名: every figure on the page (rank, composite, result, each KPI's
// value, score and rank among the districts, the followed logs) is checked
// against CityScorecardGet's reply, the KPI values against SQL, the per-KPI
// ranks against the values in each KPI's direction. The previous half-year
// has no city scheme and says so; English on request; a phone's width; a
// window clerk has no entry. Screenshots at 1366x768 and 375 px.
import { readFileSync } from "node:fs";
import { api, check, checkNoErrors, checkNoOverflow, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const CITY = "/v1/instances/evaluation@city/evaluation";
const figures = JSON.parse(readFileSync(process.env.CITY_FIGURES, "utf8"));
const half = (() => {
  const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
    .format(new Date()).split("-").map(Number);
  return { current: `${year}-H${month <= 6 ? 1 : 2}`, last: month <= 6 ? `${year - 1}-H2` : `${year}-H1` };
})();
const zh = (value, digits) => new Intl.NumberFormat("zh-CN", { maximumFractionDigits: digits }).format(value);
const en = (value, digits) => new Intl.NumberFormat("en", { maximumFractionDigits: digits }).format(value);

// Two KPIs of grid's figures (SQL can say what they are) and one of
// intake's (Shibei runs no intake: no value there), in both directions.
const KPIS = [
  { code: "city_residents_per_household", name: "每户居民数", numerator: "#{residents}",
    denominator: "#{households}", unit_label: "residents" },
  { code: "city_difficulty_per_100", name: "每百户困难家庭数", numerator: "#{households_in_difficulty}",
    denominator: "#{households}", factor: 100, unit_label: "households", direction: "KPI_DIRECTION_LOWER_BETTER" },
];
const ITEMS = [
  { kpi_code: "city_residents_per_household", weight: 2, target: 3, threshold: 1 },
  { kpi_code: "city_difficulty_per_100", weight: 1, target: 0, threshold: 40 },
  { kpi_code: "on_time_rate", weight: 1, target: 98, threshold: 85 },
];
const SCHEME = "全市各区半年度比较";
// What SQL says each district's KPI values are (on_time_rate: not SQL's here).
const wanted = code => [figures[code].residents / figures[code].households,
  100 * figures[code].households_in_difficulty / figures[code].households];

function ranksOf(card, n) {
  const item = d => d.items[n];
  const up = !(Number(card.districts[0].items[n].target ?? 0) < Number(card.districts[0].items[n].threshold ?? 0));
  return card.districts.map(d => (item(d).has_value
    ? 1 + card.districts.filter(o => item(o).has_value
      && (up ? Number(item(o).value) > Number(item(d).value) : Number(item(o).value) < Number(item(d).value))).length
    : null));
}

await run(async browser => {
  // The districts' names: the suite's grid names its own; Shibei's is the loader's.
  const NAMES = { 370205: (await api("GET", "/v1/grid/units/370205")).name, 370203: "市北区" };
  for (const kpi of KPIS) await api("POST", `${CITY}/kpis`, kpi, { requestId: `city-e2e-${kpi.code}` });
  await api("POST", `${CITY}/schemes`, { period: half.current, name: SCHEME, commend_at: 85, attention_at: 60, items: ITEMS },
            { requestId: `city-e2e-scheme-${half.current}` });

  // The city follows both districts' logs: wait until it has them as SQL does.
  let card = null;
  const deadline = Date.now() + 60000;
  for (;;) {
    card = await api("GET", `${CITY}/city-scorecards/${half.current}`);
    const sources = await api("GET", `${CITY}/sources`);
    const atHeads = !sources.catching_up && (sources.sources || []).length === 3
      && sources.sources.every(s => Number(s.cursor || 0) === Number(s.head || 0));
    const matches = (card.districts || []).length === 2 && card.districts.every(d => {
      const want = wanted(d.unit_code);
      return d.items[0].has_value && Math.abs(Number(d.items[0].value) - want[0]) < 1e-9
        && d.items[1].has_value && Math.abs(Number(d.items[1].value ?? 0) - want[1]) < 1e-9;
    });
    if (atHeads && matches && !card.catching_up) break;
    if (Date.now() > deadline) throw new Error(`the city's figures are not SQL's: ${JSON.stringify(card)}`);
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  check(card.scheme_name === SCHEME && card.districts.map(d => d.unit_code).sort().join() === "370203,370205",
        `the city ranks Sifang (370205) and 市北区 against ${SCHEME}: ${card.districts.map(d => `${d.rank}. ${d.unit_name}`).join(" ")}`);
  for (const d of card.districts) {
    const want = wanted(d.unit_code);
    check(d.unit_name === NAMES[d.unit_code] && Math.abs(Number(d.items[0].value) - want[0]) < 1e-9
          && Math.abs(Number(d.items[1].value ?? 0) - want[1]) < 1e-9,
          `${d.unit_name}'s residents per household ${want[0]} and households in difficulty per 100 ${want[1]} as SQL has them`
          + ` (${JSON.stringify(figures[d.unit_code])})`);
  }
  const shibei = card.districts.find(d => d.unit_code === "370203");
  check(!shibei.items[2].has_value, "市北区 runs no intake: no on-time rate");

  // --- a leader opens 全市排名 -------------------------------------------------------------
  const page = await newPage(browser);
  await logIn(page, "leader");
  check(await page.locator('[data-test="nav-city"]').count() === 1, "a leader has 全市排名 in the menu");
  await page.locator('[data-test="nav-city"]').click();
  await page.waitForSelector(`[data-loaded="${half.current}"] [data-test="city-total"]`);
  const shown = await api("GET", `${CITY}/city-scorecards/${half.current}`);
  check(JSON.stringify(shown.districts) === JSON.stringify(card.districts), "the reply did not change meanwhile");
  check((await page.locator('[data-test="city-scheme"]').innerText()).includes(`考核方案：${SCHEME}（第 ${card.scheme_version} 版）`)
        && (await page.locator('[data-test="city-scheme"]').innerText()).includes("参评区 2 个"),
        `the scheme and version as the city gives them: ${await page.locator('[data-test="city-scheme"]').innerText()}`);
  check(await page.locator('[data-test="city-catching-up"]').count() === 0, "no catching-up warning once at the heads");

  // The composite ranking: a row per district, best first, as the service ranked them.
  const rows = await page.locator('[data-test="city-total"] .el-table__body tr')
    .evaluateAll(trs => trs.map(tr => [...tr.querySelectorAll("td")].map(td => td.innerText.trim())));
  const flags = { APPRAISAL_FLAG_NONE: "—", APPRAISAL_FLAG_COMMENDATION: "表彰", APPRAISAL_FLAG_ATTENTION: "关注" };
  const expectedRows = card.districts.map(d => [String(d.rank || 0), `${d.unit_name}\n${d.unit_code}`,
    zh(Number(d.composite || 0), 1), flags[d.flag || "APPRAISAL_FLAG_NONE"]]);
  check(JSON.stringify(rows) === JSON.stringify(expectedRows),
        `the ranking's rows as the reply: ${rows.map(r => r.join(" | ").replace(/\n/g, " ")).join(" / ")}`);
  check(card.districts.every(d => Number(d.ranked) === 2) && card.districts[0].rank === 1
        && Number(card.districts[0].composite) >= Number(card.districts[1].composite),
        "ranked district against district, the higher composite first");

  // KPI by KPI: each district's value (2 decimals), score and rank on that KPI.
  for (let n = 0; n < ITEMS.length; n++) {
    const code = ITEMS[n].kpi_code;
    const ranks = ranksOf(card, n);
    for (const [i, d] of card.districts.entries()) {
      const item = d.items[n];
      const cell = (await page.locator(`[data-test="city-value-${code}-${d.unit_code}"]`).innerText()).trim();
      if (!item.has_value) {
        check(cell === "无数据", `${d.unit_name} ${code}: 无数据 (${cell})`);
        continue;
      }
      const rank = (await page.locator(`[data-test="city-kpi-rank-${code}-${d.unit_code}"]`).innerText()).trim();
      check(cell.startsWith(zh(Number(item.value), 2)) && rank === `第 ${ranks[i]} 名`,
            `${d.unit_name} ${code}: ${zh(Number(item.value), 2)}, 第 ${ranks[i]} 名 (${cell.replace(/\s+/g, " ")})`);
      const score = await page.locator(`[data-test="city-value-${code}-${d.unit_code}"] + .city-muted`).innerText();
      check(score.trim().startsWith(`得分 ${zh(Number(item.score || 0), 1)}`)
            && score.includes("低于底线") === Boolean(item.below_threshold),
            `${d.unit_name} ${code}'s score as the reply: ${score.trim()}`);
    }
  }
  check((await page.locator('[data-test="city-kpi-on_time_rate"]').innerText()).trim() === "按时办结率"
        && (await page.locator('[data-test="city-kpi-city_difficulty_per_100"]').innerText()).trim() === "每百户困难家庭数",
        "a KPI the appraisal office names reads in its Chinese, the city's own as the city named it");
  check((await page.locator('[data-test="city-kpis"]').innerText()).includes("越低越好"),
        "a KPI whose target lies below its threshold says lower is better");
  const followed = await page.locator('[data-test="city-followed"] li').allInnerTexts();
  check(JSON.stringify(followed.map(f => f.trim())) === JSON.stringify(["sifang：网格、诉求受理", "shibei：网格"]),
        `the logs followed as the reply lists them: ${followed.join(" / ")}`);
  check(await page.locator('[data-test="city-chart-composite"] svg').count() === 1
        && (await page.locator('[data-test="city-chart-composite"]').innerText()).includes("市北区"),
        "the composite chart names the districts");
  await screenshot(page, "city-ranking");

  // The previous half-year: no scheme at the city.
  await page.locator('[data-test="city-period"]').click();
  await page.locator(".el-select-dropdown__item:visible", { hasText: half.last }).first().click();
  await page.waitForSelector(`[data-loaded="${half.last}"] [data-test="city-no-scheme"]`);
  check((await page.locator('[data-test="city-no-scheme"]').innerText()).includes(`尚未定义 ${half.last} 的考核方案`),
        `${half.last} has no city scheme and says so`);
  checkNoErrors(page, "全市排名");

  // English on request: the same figures in English words.
  await page.locator('[data-test="city-period"]').click();
  await page.locator(".el-select-dropdown__item:visible", { hasText: half.current }).first().click();
  await page.waitForSelector(`[data-loaded="${half.current}"] [data-test="city-total"]`);
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.querySelector(".city-title").innerText.trim() === "City ranking");
  const top = card.districts[0];
  check((await page.locator(`[data-test="city-kpi-rank-city_residents_per_household-${top.unit_code}"]`).innerText())
          .trim() === `No. ${ranksOf(card, 0)[0]}`
        && (await page.locator(`[data-test="city-composite-${top.unit_code}"]`).innerText()).trim()
          === en(Number(top.composite || 0), 1),
        "in English: the same rank and composite");
  await page.locator('[data-test="language"]').click();

  // A phone: the tables stack under each other, nothing wider than the screen.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "leader");
  await phone.goto(`${fixture.gateway}/#/city`);
  await phone.waitForSelector(`[data-loaded="${half.current}"] [data-test="city-kpis"]`);
  await checkNoOverflow(phone, "全市排名 at 375 px");
  check((await phone.locator(`[data-test="city-composite-${top.unit_code}"]`).innerText()).trim()
        === zh(Number(top.composite || 0), 1), "at 375 px the first district's composite is in sight");
  await screenshot(phone, "city-ranking-phone");
  checkNoErrors(phone, "全市排名 at 375 px");

  const clerk = await newPage(browser);
  await logIn(clerk, "window_clerk");
  check(await clerk.locator('[data-test="nav-city"]').count() === 0, "the window clerk has no 全市排名 entry");
});
