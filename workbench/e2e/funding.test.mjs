// Community funding (社区经费): the street's staff open their street's
// figures, choose the first community (no budget yet this year), are asked
// for a source before saving, set 27,000 yuan from three sources (the total
// shown as they type) and record a spending of 800.50 yuan; each read back
// from grid (budget, sources and spending in fen). The community's staff
// see their community at once, are asked for the voucher, record a
// spending and see the balance grid gives. The street's staff reverse (冲销)
// a wrong spending of 2,700 yuan (typed for 270) with a reason: asked for the
// reason first, then grid holds the red entry, the row shows 已冲销 and the
// balance on screen is grid's, the amount back in it. A leader opens the district's
// street and sees its community as grid sums it. English on request, a phone's
// width, and a role without the duty gets no menu entry. Screenshots at
// 1366x768 and 375 px.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const community = fixture.district.communities[0];
const tag = String(Date.now()).slice(-6);
const year = Number(new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric" })
  .format(new Date()));
const budgetOf = () => api("GET", `/v1/grid/funding/budgets/${community}/${year}`);
const spendingsOf = async () => (await api("GET", `/v1/grid/funding/spendings?under=${community}&year=${year}`)).spendings
  || [];
const errorIn = async (page, form) => (await page.locator(`[data-test="${form}"] .el-form-item__error`).first().innerText())
  .trim();
const rowOf = (page, table, text) => page.locator(`[data-test="${table}"] .el-table__body tr`, { hasText: text });
const yuan = fen => `${Math.floor(fen / 100).toLocaleString("en-US")}.${String(fen % 100).padStart(2, "0")}`;

async function choose(page, test, text) {
  await page.locator(`[data-test="${test}"]`).click();
  await page.locator(".el-select-dropdown__item:visible", { hasText: text }).first().click();
}

await run(async browser => {
  // --- the street's staff -------------------------------------------------------------
  const page = await newPage(browser);
  await logIn(page, "street_staff");
  check(await page.locator('[data-test="nav-funding"]').count() === 1, "the street's staff have 社区经费 in their menu");
  await page.locator('[data-test="nav-funding"]').click();
  await rowOf(page, "funding-children", community).click();
  await page.waitForSelector('[data-test="funding-community"]');
  let existing = null;
  try {
    existing = await budgetOf();
  } catch {
    existing = null;
  }
  if (!existing) {
    check(await page.locator('[data-test="funding-no-budget"]').count() === 1, `no budget for ${year} is said so`);
    await page.locator('[data-test="budget-submit"]').click();
    check((await errorIn(page, "budget-form")) === "至少填写一项经费来源", "a budget without a source is asked for one");
  }
  await page.locator(field("budget-FUNDING_SOURCE_KIND_DISTRICT_FINANCE")).fill("15000");
  await page.locator(field("budget-FUNDING_SOURCE_KIND_PARTY_FEES")).fill("7,000");
  await page.locator(field("budget-FUNDING_SOURCE_KIND_STREET")).fill("5000.00");
  await page.locator(field("budget-FUNDING_SOURCE_KIND_OTHER")).fill("");
  await page.locator(field("budget-note")).fill(`社区工作经费提高到2.7万元${tag}`);
  check((await page.locator('[data-test="budget-total"]').innerText()).includes("27,000.00"),
        "the total of the sources shows as they are typed: 27,000.00");
  await page.locator('[data-test="budget-submit"]').click();
  await page.waitForSelector('[data-test="funding-budget"]');
  const budget = await budgetOf();
  const kinds = (budget.sources || []).map(s => `${s.kind}:${s.amount_fen}`).join(",");
  check(Number(budget.budget_fen) === 2700000 && kinds === "FUNDING_SOURCE_KIND_DISTRICT_FINANCE:1500000,"
        + "FUNDING_SOURCE_KIND_PARTY_FEES:700000,FUNDING_SOURCE_KIND_STREET:500000"
        && budget.note === `社区工作经费提高到2.7万元${tag}`,
        `grid holds the budget: ${budget.budget_fen} fen from ${kinds}`);
  check((await page.locator('[data-test="funding-source-FUNDING_SOURCE_KIND_PARTY_FEES"]').innerText()).trim() === "7,000.00",
        "the party fees' share shows as grid holds it");

  // A spending of 800.50 yuan on residents' activities.
  await choose(page, "spending-purpose", "居民活动");
  await page.locator(field("spending-amount")).fill("800.50");
  await page.locator(field("spending-voucher")).fill(`记-${tag}`);
  await page.locator(field("spending-description")).fill("重阳节敬老活动");
  await page.locator('[data-test="spending-submit"]').click();
  await rowOf(page, "spendings", `记-${tag}`).waitFor();
  const spent = (await spendingsOf()).find(s => s.voucher === `记-${tag}`);
  check(spent && Number(spent.amount_fen) === 80050 && spent.purpose === "FUNDING_PURPOSE_ACTIVITIES"
        && spent.description === "重阳节敬老活动",
        `grid holds the spending ${spent && spent.id}: 80050 fen on activities`);
  const cells = await rowOf(page, "spendings", `记-${tag}`).locator("td").allInnerTexts();
  check(cells[2] === "居民活动" && cells[3] === "800.50", `the spending's row: ${cells.join(" | ")}`);
  const after = await budgetOf();
  check((await page.locator('[data-test="funding-balance"]').innerText()).trim() === yuan(Number(after.balance_fen)),
        `the balance on screen is grid's: ${yuan(Number(after.balance_fen))}`);

  // A wrong spending, reversed (冲销): 2,700 yuan typed for 270.
  await choose(page, "spending-purpose", "居民活动");
  await page.locator(field("spending-amount")).fill("2700");
  await page.locator(field("spending-voucher")).fill(`记-${tag}-错`);
  await page.locator(field("spending-description")).fill("文艺汇演（金额录错）");
  await page.locator('[data-test="spending-submit"]').click();
  await rowOf(page, "spendings", `记-${tag}-错`).waitFor();
  const wrong = (await spendingsOf()).find(s => s.voucher === `记-${tag}-错`);
  const beforeReversal = Number((await budgetOf()).balance_fen);
  await page.locator(`[data-test="reverse-${wrong.id}"]`).click();
  await page.locator('[data-test="reverse-submit"]').click();
  check((await page.locator('[data-test="reverse-dialog"] .el-form-item__error').first().innerText()).trim()
        === "请填写冲销原因", "a reversal without a reason is asked for one");
  await page.locator(field("reverse-reason")).fill("金额录错：应为270元");
  await page.locator('[data-test="reverse-submit"]').click();
  await page.locator(`[data-test="reversed-${wrong.id}"]`).waitFor();
  const reversed = (await spendingsOf()).find(s => s.id === wrong.id);
  check(reversed && Number(reversed.reversed_unix_ms) > 0 && reversed.reversal_reason === "金额录错：应为270元"
        && Number(reversed.amount_fen) === 270000,
        `grid holds the red entry for ${wrong.id}: ${reversed && reversed.reversal_reason}`);
  const restored = await budgetOf();
  check(Number(restored.balance_fen) === beforeReversal + 270000,
        `the balance has the 2,700 yuan back: ${beforeReversal} + 270000 = ${restored.balance_fen} fen`);
  await page.waitForFunction(text => document.querySelector('[data-test="funding-balance"]').innerText.trim() === text,
                             yuan(Number(restored.balance_fen)));
  check((await page.locator(`[data-test="reversed-${wrong.id}"]`).innerText()).includes("已冲销"),
        "the reversed row says 已冲销");
  check(await page.locator(`[data-test="reverse-${wrong.id}"]`).count() === 0, "a reversed row has no 冲销 button");
  await screenshot(page, "funding-street");

  // English on request.
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "en");
  check((await page.locator(".fd-title").innerText()).trim() === "Community funding", "English on request");
  await screenshot(page, "funding-street-en");
  await page.locator('[data-test="language"]').click();
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  const keys = (await page.evaluate(() => document.body.textContent)).match(/\bfunding\.[a-zA-Z.]+/g);
  check(!keys, `no message key shows${keys ? ": " + keys.join(" ") : ""}`);
  checkNoErrors(page, "the street's funding page");

  // --- the community's staff, on a phone ------------------------------------------------
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "community_staff");
  await phone.goto(fixture.gateway + "/#/funding");
  await phone.waitForSelector('[data-test="spending-form"]');
  check(await phone.locator('[data-test="budget-form"]').count() === 0, "the community's staff do not set budgets");
  await choose(phone, "spending-purpose", "便民服务");
  await phone.locator(field("spending-amount")).fill("120");
  await phone.locator(field("spending-description")).fill("便民理发");
  await phone.locator('[data-test="spending-submit"]').click();
  check((await errorIn(phone, "spending-form")) === "请填写凭证号", "a spending without its voucher is asked for it");
  await phone.locator(field("spending-voucher")).fill(`记-${tag}-2`);
  await phone.locator('[data-test="spending-submit"]').click();
  await rowOf(phone, "spendings", `记-${tag}-2`).waitFor();
  const second = (await spendingsOf()).find(s => s.voucher === `记-${tag}-2`);
  check(second && Number(second.amount_fen) === 12000 && second.purpose === "FUNDING_PURPOSE_SERVICES",
        `grid holds the community's spending ${second && second.id}: 12000 fen on services`);
  const last = await budgetOf();
  await phone.waitForFunction(text => document.querySelector('[data-test="funding-balance"]').innerText.trim() === text,
                              yuan(Number(last.balance_fen)));
  await checkNoOverflow(phone, "the funding page at 375 px");
  await screenshot(phone, "funding-community-phone");
  checkNoErrors(phone, "the community's funding page");

  // --- a leader: the district's streets, then a street's communities -------------------
  const lead = await newPage(browser);
  await logIn(lead, "leader");
  await lead.locator('[data-test="nav-funding"]').click();
  const street = community.slice(0, 9);
  await rowOf(lead, "funding-children", street).click();
  await rowOf(lead, "funding-children", community).waitFor();
  const streetFigures = await api("GET", `/v1/grid/funding/figures?under=${street}&year=${year}`);
  const ours = streetFigures.children.find(c => c.unit_code === community);
  const leadCells = await rowOf(lead, "funding-children", community).locator("td").allInnerTexts();
  check(ours && leadCells[1] === yuan(Number(ours.budget_fen)) && leadCells[2] === yuan(Number(ours.spent_fen))
        && leadCells[3] === yuan(Number(ours.balance_fen)),
        `the street's community as grid sums it: ${leadCells.join(" | ")}`);
  await screenshot(lead, "funding-leader-street");
  await lead.locator('[data-test="funding-up"]').click();
  await rowOf(lead, "funding-children", street).waitFor();
  checkNoErrors(lead, "the leader's funding page");

  // Not the window clerk's work.
  const other = await newPage(browser);
  await logIn(other, "window_clerk");
  check(await other.locator('[data-test="nav-funding"]').count() === 0, "the window clerk has no 社区经费 entry");
});
