// The appraisal office's workflow, for the last half-year (so the current
// one stays open for the other workflows): with a questionnaire, a survey
// round and a scheme seeded through the admin API, the office enters a
// household's survey response (the service's refusal of a missing answer
// shown beside the form, the form kept) and a phone call that reached no
// one, sees the progress per community, reads the scorecard and its
// weights, is refused a freeze while units are unapproved (in Chinese),
// returns a community with a note and approves every unit, freezes the
// period, reads the ranking and the 双挂钩 list (who answers for each unit
// with their duty: the head 负责人 and reviewer 审核人 grid names for the
// first community among them), and downloads the report
// and the ranking; a community's zones (网格) opened under its row, ranked in
// the community and the district; everything on screen is compared with the service's
// answers. A leader reads the scorecard but signs nothing; a volunteer
// coordinator does not get the page. Screenshots at 1366x768 and 375 px.
import { readFileSync } from "node:fs";
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const tag = String(Date.now()).slice(-6);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// The half-year before this one, in the district's time zone.
const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
  .format(new Date()).split("-").map(Number);
const period = month > 6 ? `${year}-H1` : `${year - 1}-H2`;

// --- what the office starts from -------------------------------------------------------
const questionnaire = await api("POST", "/v1/evaluation/questionnaires", {
  code: `wb_survey_${tag}`, title: "居民满意度调查",
  questions: [
    { code: "overall", text: "您对社区的工作总体满意吗？", kind: "QUESTION_KIND_SCALE", required: true, satisfaction: true },
    { code: "cadre_known", text: "您认识您所在网格的网格员吗？", kind: "QUESTION_KIND_YES_NO" },
    { code: "comment", text: "其他意见和建议", kind: "QUESTION_KIND_TEXT" },
  ],
});
const round = await api("POST", "/v1/evaluation/survey-rounds", {
  code: `wb-${tag}`, questionnaire_code: questionnaire.code, period, mode: "SURVEY_MODE_HOUSEHOLD", per_community: 2, seed: 7,
});
const scheme = await api("POST", "/v1/evaluation/schemes", {
  period, name: "半年考核", commend_at: 80, attention_at: 60, items: [
    // Zones (网格) measured against their own target: a zone's few households
    // answer for less than a community's sample.
    { kpi_code: "survey_satisfaction", weight: 2, target: 90, threshold: 40,
      levels: [{ unit_kind: "UNIT_KIND_ZONE", target: 85, threshold: 50 }] },
    { kpi_code: "survey_response_rate", weight: 1, target: 80, threshold: 0 },
  ],
});
// The first community's head (负责人) and reviewer (审核人), named in grid:
// the 双挂钩 list names them among the people answering for it.
const duties = [
  { staff_id: fixture.people.community_staff.staff_id, unit_code: d.communities[0], kind: "RESPONSIBILITY_KIND_UNIT_HEAD" },
  { staff_id: fixture.people.window_clerk.staff_id, unit_code: d.communities[0], kind: "RESPONSIBILITY_KIND_UNIT_REVIEWER" },
];
for (const duty of duties) await api("POST", "/v1/grid/responsibilities", duty);
const KIND = { RESPONSIBILITY_KIND_ZONE_CADRE: "网格员", RESPONSIBILITY_KIND_ZONE_COMMITTEE: "包网格社区委员",
  RESPONSIBILITY_KIND_LEADER_CONTACT: "联系领导", RESPONSIBILITY_KIND_PART_TIME_COMMITTEE: "兼职委员",
  RESPONSIBILITY_KIND_UNIT_HEAD: "负责人", RESPONSIBILITY_KIND_UNIT_REVIEWER: "审核人" };
const sampled = (await api("GET", `/v1/evaluation/survey-rounds/${round.code}/sample?page_size=100`)).households;
const first = sampled.filter(h => h.community_code === d.communities[0]).sort((a, b) => a.draw - b.draw);
check(round.sampled === 4 && first.length === 2, `seeded: round ${round.code} of ${period} samples ${round.sampled} households`);

const rowOf = (page, table, text) => page.locator(`[data-test="${table}"] .el-table__body tr`, { hasText: text });
const cellsOf = async (page, table, text) => (await rowOf(page, table, text).first().locator("td").allInnerTexts())
  .map(s => s.trim());
const fmt = (value, digits) => new Intl.NumberFormat("zh-CN", { maximumFractionDigits: digits }).format(value);
const FLAG = { APPRAISAL_FLAG_COMMENDATION: "表彰", APPRAISAL_FLAG_ATTENTION: "关注" };

await run(async browser => {
  const page = await newPage(browser);
  await logIn(page, "appraisal_office");
  await page.locator('[data-test="nav-appraisal"]').click();
  await page.goto(`${fixture.gateway}/#/appraisal?tab=survey&period=${period}`);
  await page.waitForSelector(`[data-test="enter-${first[0].household_code}"]`);

  // A household's response: refused without the required answer, then saved.
  await page.locator(`[data-test="enter-${first[0].household_code}"]`).click();
  await page.waitForSelector('[data-test="question-overall"]');
  check((await page.locator('[data-test="question-overall"] .el-form-item__label').innerText()).includes("您对社区的工作总体满意吗？"),
        "the form asks the questionnaire's questions");
  await page.locator('[data-test="answer-cadre_known-1"]').click();
  await page.locator(field("answer-comment")).fill("希望多组织老年人活动");
  await page.locator('[data-test="response-submit"]').click();
  await page.waitForSelector('[data-test="response-dialog"] [data-test="error"]');
  const refusal = (await page.locator('[data-test="response-dialog"] [data-test="error"]').innerText()).trim();
  const beside = (await page.locator('[data-test="question-overall"] .el-form-item__error').innerText()).trim();
  check(refusal.startsWith("填写有误") && beside === "此题必答",
        `a response without the required answer is refused in Chinese: ${refusal}, beside the question: ${beside}`);
  const still = (await api("GET", `/v1/evaluation/survey-rounds/${round.code}/sample?page_size=100`)).households
    .find(h => h.household_code === first[0].household_code);
  check(!still.outcome || still.outcome === "RESPONSE_OUTCOME_UNSPECIFIED", "the refused response wrote nothing");
  check(await page.locator(field("answer-comment")).inputValue() === "希望多组织老年人活动",
        "the form keeps what was typed after the refusal");
  await page.locator('[data-test="answer-overall-5"]').click();
  await screenshot(page, "appraisal-survey-form");
  await page.locator('[data-test="response-submit"]').click();
  await page.locator('[data-test="response-dialog"]').waitFor({ state: "hidden" });
  // A phone call that reached no one.
  await page.locator(`[data-test="enter-${first[1].household_code}"]`).click();
  await page.locator('[data-test="mode-SURVEY_MODE_PHONE"]').click();
  await page.locator('[data-test="outcome-RESPONSE_OUTCOME_NOT_REACHED"]').click();
  await page.locator('[data-test="response-submit"]').click();
  await page.locator('[data-test="response-dialog"]').waitFor({ state: "hidden" });
  await page.waitForFunction(code => !document.querySelector(`[data-test="enter-${code}"]`), first[1].household_code);

  const after = (await api("GET", `/v1/evaluation/survey-rounds/${round.code}/sample?page_size=100`)).households;
  for (const [h, outcome, label] of [[first[0], "RESPONSE_OUTCOME_COMPLETED", "完成"],
    [first[1], "RESPONSE_OUTCOME_NOT_REACHED", "未联系上"]]) {
    const held = after.find(x => x.household_code === h.household_code);
    const cells = await cellsOf(page, "sample", h.household_code);
    check(held.outcome === outcome && cells[3] === label && cells[2] === String(held.draw),
          `${h.household_code}: the service holds ${outcome}, the list shows ${label} (draw ${cells[2]})`);
  }
  const results = await api("GET", `/v1/evaluation/survey-rounds/${round.code}/results?kind=UNIT_KIND_COMMUNITY`);
  for (const r of results.results) {
    const cells = await cellsOf(page, "progress", r.unit_name);
    check(cells[1] === String(r.sampled) && cells[2] === String(r.responded) && cells[3] === String(r.completed)
          && cells[4] === `${Math.round(100 * (r.response_rate || 0))}%`
          && cells[5] === (r.scored ? fmt(r.satisfaction_mean, 1) : "–"),
          `progress of ${r.unit_name}: ${cells.slice(1).join(" | ")} as the service counts`);
  }
  await screenshot(page, "appraisal-survey");

  // The scorecard once evaluation has counted the responses.
  let card;
  for (let i = 0; i < 40; i++) {
    card = await api("GET", `/v1/evaluation/scorecards/${period}`);
    const c1 = card.communities.find(c => c.unit_code === d.communities[0]);
    if (c1 && (c1.items || []).filter(x => x.has_value).length === 2) break;
    await sleep(250);
  }
  await page.locator(".el-tabs__item", { hasText: "考核评分" }).click();
  await page.waitForSelector('[data-test="weights"] .el-table__body tr');
  const weights = await page.locator('[data-test="weights"] .el-table__body tr').evaluateAll(rows =>
    rows.map(r => Array.from(r.querySelectorAll("td"), td => td.innerText.trim())));
  check(JSON.stringify(weights) === JSON.stringify([["问卷满意度", "2", "66.7%", "90\n网格 85", "40\n网格 50"],
                                                    ["问卷应答率", "1", "33.3%", "80", "0"]]),
        `the weights as the scheme has them: ${JSON.stringify(weights)}`);
  check((await page.locator('[data-test="scheme-line"]').innerText()).includes(`半年考核（第 ${scheme.version} 版）`),
        `the scheme's name and version ${scheme.version}`);
  for (const u of [...card.streets, ...card.communities]) {
    const cells = await cellsOf(page, u.unit_kind === "UNIT_KIND_STREET" ? "units-streets" : "units-communities", u.unit_name);
    check(cells[1] === `${u.rank}/${u.ranked}` && cells[3] === fmt(u.composite, 1)
          && cells[4] === (FLAG[u.flag] || "—") && cells[5].startsWith("待签批"),
          `${u.unit_name}: rank, composite ${cells[3]}, ${cells[4]} and 待签批 as the service scores it`);
  }
  // The first community's zones (网格), opened under its row: each zone's ranks
  // (in the community, in the district), composite, the items that have a
  // zone's figure with the target applied and the score, and the flag, as
  // ZoneScorecardGet answers them.
  const c1 = d.communities[0];
  const zones = await api("GET", `/v1/evaluation/zone-scorecards/${period}?under=${c1}`);
  check(zones.zones.length >= 1 && zones.zones.every(z => z.zone.unit_code.startsWith(c1))
        && JSON.stringify(zones.zone_kpis) === JSON.stringify(["survey_satisfaction", "survey_response_rate"]),
        `the service scores ${zones.zones.length} zones of ${c1} on ${zones.zone_kpis}`);
  const c1Name = card.communities.find(c => c.unit_code === c1).unit_name;
  await rowOf(page, "units-communities", c1Name).first().locator(".el-table__expand-icon").click();
  await page.waitForSelector(`[data-test="zones-${c1}"] .el-table__body tr`);
  const ITEM = { survey_satisfaction: "问卷满意度", survey_response_rate: "问卷应答率" };
  for (const z of zones.zones) {
    const cells = (await page.locator(`[data-test="zones-${c1}"] .el-table__body tr`, { hasText: z.zone.unit_name })
      .first().locator("td").allInnerTexts()).map(s => s.trim());
    const items = (z.zone.items || []).filter(i => i.has_value);
    const satisfaction = (z.zone.items || []).find(i => i.kpi_code === "survey_satisfaction");
    check(satisfaction.target === 85 && satisfaction.threshold === 50, `${z.zone.unit_name} is held to the zone's target`);
    check(cells[0] === `${z.zone.rank}/${z.zone.ranked}` && cells[1] === `${z.district_rank}/${z.district_ranked}`
          && cells[2] === z.zone.unit_name && cells[3] === fmt(z.zone.composite, 1)
          && items.every(i => cells[4].includes(`${ITEM[i.kpi_code]} ${fmt(i.value, 2)} · 目标值 ${fmt(i.target, 2)}`
                                                + ` · ${fmt(i.score, 1)}`))
          && cells[4].split("\n").filter(Boolean).length === items.length && cells[5] === (FLAG[z.zone.flag] || "—"),
          `${z.zone.unit_name}: ${cells.join(" | ")} as the service scores the zone`);
  }
  await screenshot(page, "appraisal-zones");
  await rowOf(page, "units-communities", c1Name).first().locator(".el-table__expand-icon").click();

  // Freezing before every unit is approved: the service's refusal, in Chinese.
  await page.locator('[data-test="freeze"]').click();
  await page.locator(".el-message-box__btns .el-button--primary").click();
  await page.waitForSelector('[data-test="error"]');
  const frozenRefusal = (await page.locator('[data-test="error"]').first().innerText()).trim();
  check(frozenRefusal === "当前状态下不能进行此操作", `a freeze with units unapproved is refused: ${frozenRefusal}`);
  // Return a community for checking (a note is asked for), then approve everyone.
  const c2 = d.communities[1];
  await page.locator(`[data-test="return-${c2}"]`).click();
  await page.locator('[data-test="return-submit"]').click();
  await page.waitForSelector('[data-test="return-dialog"] .el-form-item__error');
  check((await page.locator('[data-test="return-dialog"] .el-form-item__error').innerText()).trim() === "请填写需核实的内容",
        "a return asks what to check");
  await page.locator(field("return-note")).fill("请核实未联系上的样本户");
  await page.locator('[data-test="return-submit"]').click();
  await page.waitForFunction(code => document.querySelector(`[data-test="state-${code}"]`).innerText.includes("已退回"), c2);
  const returned = await api("GET", `/v1/evaluation/sign-offs?period=${period}&unit_code=${c2}`);
  check(returned.state === "SIGN_OFF_STATE_RETURNED" && returned.history.at(-1).note === "请核实未联系上的样本户",
        "the service holds the return with its note");
  await screenshot(page, "appraisal-scorecard");
  for (const unit of [...d.communities, ...d.streets]) {
    await page.locator(`[data-test="approve-${unit}"]`).click();
    await page.waitForFunction(code => document.querySelector(`[data-test="state-${code}"]`).innerText.includes("已批准"), unit);
    const held = await api("GET", `/v1/evaluation/sign-offs?period=${period}&unit_code=${unit}`);
    check(held.state === "SIGN_OFF_STATE_APPROVED", `${unit}: approved on screen and in the service`);
  }
  await page.locator('[data-test="freeze"]').click();
  await page.locator(".el-message-box__btns .el-button--primary").click();
  await page.waitForFunction(() => document.querySelector('[data-test="frozen"]').innerText.includes("已冻结"));
  card = await api("GET", `/v1/evaluation/scorecards/${period}`);
  check(card.frozen, `${period} is frozen in the service`);

  // The ranking.
  await page.locator(".el-tabs__item", { hasText: "排名" }).click();
  const ranked = await page.locator('[data-test="ranking"] .el-table__body tr').evaluateAll(rows =>
    rows.map(r => Array.from(r.querySelectorAll("td"), td => td.innerText.trim())));
  const expected = [...card.streets.map(u => ["街道", u]), ...card.communities.map(u => ["社区", u])]
    .map(([kind, u]) => [`${u.rank}/${u.ranked}`, `${kind} · ${u.unit_name}`, fmt(u.composite, 1), FLAG[u.flag] || "—"]);
  check(JSON.stringify(ranked.map(r => [r[0], r[1], r[2], r[3]])) === JSON.stringify(expected),
        `the ranking is the service's: ${ranked.map(r => r.slice(0, 3).join(" ")).join("; ")}`);

  // The 双挂钩 list.
  await page.locator(".el-tabs__item", { hasText: "双挂钩名单" }).click();
  const list = await api("GET", `/v1/evaluation/appraisals/${period}`);
  check(list.entries.length > 0, `the service lists ${list.entries.length} flagged units`);
  for (const e of list.entries) {
    await rowOf(page, "list", e.unit_name).first().waitFor();
    const cells = await cellsOf(page, "list", e.unit_name);
    check(cells[1] === FLAG[e.flag] && cells[2] === fmt(e.composite, 1) && cells[3] === String(e.rank)
          && !/[a-z_]{4,}/.test(cells[4]) && (e.cadres || []).every(c => cells[5].includes(`${c.name}（${KIND[c.kind]}）`)),
          `${e.unit_name}: ${cells[1]} ${cells[2]}, rank ${cells[3]}, reasons in Chinese (${cells[4].replace(/\n/g, "；")}),`
          + ` who answers for it: ${cells[5].replace(/\n/g, "；")}`);
  }
  const first_listed = list.entries.find(e => e.unit_code === d.communities[0]);
  check(first_listed && duties.every(duty => (first_listed.cadres || []).some(c => c.staff_id === duty.staff_id
          && c.kind === duty.kind && c.unit_code === duty.unit_code))
        && /（负责人）/.test((await cellsOf(page, "list", first_listed.unit_name))[5])
        && /（审核人）/.test((await cellsOf(page, "list", first_listed.unit_name))[5]),
        "the first community's head and reviewer are listed, labelled 负责人 and 审核人");
  await screenshot(page, "appraisal-list");

  // The downloads: the service's report, and the ranking as CSV.
  const [report] = await Promise.all([page.waitForEvent("download"), page.locator('[data-test="export-html"]').click()]);
  const html = readFileSync(await report.path(), "utf8");
  const served = await api("GET", `/v1/evaluation/reports/${period}/html`);
  check(report.suggestedFilename() === `考核报告-${period}.html` && html === served.body && html.length > 200,
        `the report downloads as ${report.suggestedFilename()}, the service's report (${html.length} characters)`);
  const [csvFile] = await Promise.all([page.waitForEvent("download"), page.locator('[data-test="export-csv"]').click()]);
  const csv = readFileSync(await csvFile.path(), "utf8").replace(/^\uFEFF/, "").trim().split("\r\n");
  check(csv[0] === "考核期,层级,单位编码,单位,排名,综合得分,结果,签批" && csv.length === 1 + expected.length
        && csv.slice(1).every((line, i) => line.startsWith(`${period},${expected[i][1].split(" · ")[0]},`)),
        `the ranking downloads as CSV with ${csv.length - 1} rows in the ranking's order`);
  await checkNoOverflow(page, "appraisal page at 1366 px");
  const keys = (await page.evaluate(() => document.body.textContent)).match(/\b(appraisal|app|status|unitKind)\.[a-zA-Z]+/g);
  check(!keys, `no message key shows in place of words${keys ? ": " + keys.join(" ") : ""}`);
  checkNoErrors(page, "appraisal page");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "appraisal_office");
  await phone.goto(`${fixture.gateway}/#/appraisal?tab=scorecard&period=${period}`);
  await phone.waitForSelector('[data-test="units-communities"] .el-table__body tr');
  await checkNoOverflow(phone, "scorecard at 375 px");
  await screenshot(phone, "appraisal-phone");
  await phone.goto(`${fixture.gateway}/#/appraisal?tab=survey&period=${period}`);
  await phone.reload();
  await phone.waitForSelector('[data-test="sample"] .el-table__body tr');
  await phone.waitForFunction(() => !document.querySelector(".el-loading-mask"));
  await checkNoOverflow(phone, "survey at 375 px");
  await screenshot(phone, "appraisal-phone-survey");
  checkNoErrors(phone, "appraisal page on a phone");

  // A leader reads the scorecard, signs nothing, enters no survey.
  const leader = await newPage(browser);
  await logIn(leader, "leader");
  check(await leader.locator('[data-test="nav-appraisal"]').count() === 1, "a leader has 考核评估 in the menu");
  await leader.goto(`${fixture.gateway}/#/appraisal?period=${period}`);
  await leader.waitForSelector('[data-test="units-streets"] .el-table__body tr');
  check(await leader.locator(".el-tabs__item", { hasText: "问卷录入" }).count() === 0
        && await leader.locator('[data-test^="approve-"]').count() === 0,
        "a leader gets no survey entry and no sign-off");
  checkNoErrors(leader, "leader's appraisal page");

  // Not the volunteer coordinator's work.
  const other = await newPage(browser);
  await logIn(other, "volunteer_coordinator");
  check(await other.locator('[data-test="nav-appraisal"]').count() === 0, "a volunteer coordinator has no 考核评估 entry");
  await other.goto(fixture.gateway + "/#/appraisal");
  await other.waitForFunction(() => location.hash === "#/");
  check(await other.locator('[data-test="weights"]').count() === 0, "a volunteer coordinator opening /appraisal lands home");
  checkNoErrors(other, "volunteer coordinator's pages");
});
// The other workflows find the community without a head or reviewer, as before.
for (const duty of duties)
  await api("DELETE", `/v1/grid/responsibilities?staff_id=${duty.staff_id}&unit_code=${duty.unit_code}&kind=${duty.kind}`);
