// 环节超时: the late stages under the street, each against whoever held the
// case when it fell due. A dispute registered three days back, routed to
// the zone's committee member, and an allowance forty days back, held by the
// civil-affairs department: intake's sweep marks their receipts (签收) and
// first responses late and the allowance's completion; the community's
// station then takes the dispute over. The street's staff open the list
// from the desk: the counts per stage, per holder and per holder's unit are
// those of intake's CaseStageLateList in the period, and the dispute's late
// receipt stays the committee member's though the station holds it now; by
// stage (签收 only), by a period that leaves rows out, a holder's own rows;
// on a phone and in English.
import { api, check, checkNoErrors, checkNoOverflow, districtDay, districtTime, fixture, logIn, newPage, run,
  screenshot } from "./lib.mjs";

const d = fixture.district;
const text = async (page, test) => (await page.locator(`[data-test="${test}"]`).first().innerText()).trim();
const STAGE_ZH = { CASE_STAGE_RECEIPT: "签收", CASE_STAGE_FIRST_RESPONSE: "首次响应", CASE_STAGE_COMPLETION: "办结" };
const STAGES = Object.keys(STAGE_ZH);
const DAY = 86400000;

async function lateRows(under) {
  const rows = [];
  let token = "";
  do {
    const page = await api("GET", `/v1/intake/stage-lateness?under=${under}&page_size=200&page_token=${token}`);
    rows.push(...(page.rows || []));
    token = page.next_page_token || "";
  } while (token);
  return rows;
}

// The district day's bounds, as the page counts a period of days.
const dayStart = day => Date.parse(`${day}T00:00:00+08:00`);
const inPeriod = (rows, from, to) => rows.filter(r => Number(r.due_unix_ms) >= dayStart(from)
  && Number(r.due_unix_ms) < dayStart(to) + DAY);
const holderKey = r => `${r.holder.kind}:${r.holder.code}`;

function expected(rows) {
  const holders = new Map();
  for (const r of rows) {
    const h = holders.get(holderKey(r)) || { name: r.holder.name || r.holder.code, unit: r.holder_unit, total: 0,
      ...Object.fromEntries(STAGES.map(s => [s, 0])) };
    h[r.stage] += 1;
    h.total += 1;
    holders.set(holderKey(r), h);
  }
  const stages = Object.fromEntries(STAGES.map(s => [s, rows.filter(r => r.stage === s).length]));
  return { holders, stages, total: rows.length };
}

// The page's counts against what intake lists.
async function checkCounts(page, rows, what) {
  const want = expected(rows);
  await page.waitForFunction(n => document.querySelector('[data-test="late-count-total"]')?.innerText.includes(`${n}`),
    want.total, { timeout: 10000 }).catch(() => {});
  check(await text(page, "late-count-total") === `超时 ${want.total} 个环节`, `${what}: 超时 ${want.total} 个环节`);
  for (const s of STAGES)
    check(await text(page, `late-count-${s}`) === `${STAGE_ZH[s]} ${want.stages[s]}`, `${what}: ${STAGE_ZH[s]} ${want.stages[s]}`);
  const shown = await page.locator('[data-test="late-holders"] .el-table__body-wrapper tr.el-table__row').count();
  check(shown === want.holders.size, `${what}: ${shown} holders listed`);
  for (const [key, h] of want.holders) {
    const cells = [await text(page, `late-holder-${key}`)];
    for (const s of [...STAGES, "total"]) cells.push(await text(page, `late-holder-${key}-${s}`));
    const wanted = [h.name, ...STAGES.map(s => String(h[s])), String(h.total)];
    check(JSON.stringify(cells) === JSON.stringify(wanted), `${what}: ${cells.join(" | ")}`);
  }
  const listed = await page.locator('[data-test="late-rows"] .el-table__body-wrapper tr.el-table__row').count();
  // A page of 20 at a time.
  check(listed === Math.min(want.total, 20), `${what}: ${listed} late stages listed`);
  return want;
}

await run(async browser => {
  const community = fixture.people.community_staff;
  const back = days => ({ channel: "CASE_CHANNEL_WINDOW",
    imported: { at_unix_ms: Date.now() - days * DAY, actor_id: community.staff_id } });
  // Three days back: its receipt and first response are late (due within
  // the next working day's first hours), its completion (5 working days) not yet.
  const dispute = await api("POST", "/v1/intake/cases", { ...back(3), item_code: "dispute-mediation",
    description: "e2e 环节超时 纠纷", requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: d.households[0][5],
      name: "住户", phone: "13941000555" } });
  const allowance = await api("POST", "/v1/intake/cases", { ...back(40), item_code: "elderly-allowance",
    description: "e2e 环节超时 津贴", requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: d.households[0][6],
      name: "住户", phone: "13941000555" } });
  const firstHolder = dispute.assignee;
  check(firstHolder.kind === "ASSIGNEE_KIND_STAFF" && allowance.assignee.kind === "ASSIGNEE_KIND_DEPARTMENT",
        `seeded: a dispute held by ${firstHolder.name} three days back, an allowance by ${allowance.assignee.name} forty`);
  // One stage per case each time the sweep runs: the receipts, the first
  // responses, the allowance's completion (a department keeps its case).
  for (let i = 0; i < 3; i++) await api("POST", "/v1/intake/sweep", {});
  // The station takes the dispute over: a new assignment, its stages afresh.
  await api("POST", `/v1/intake/cases/${dispute.id}/assign`, { ref: { id: dispute.id },
    assignee: { kind: "ASSIGNEE_KIND_UNIT", code: d.communities[0] }, note: "e2e: 社区服务站接手" });
  const moved = await api("GET", `/v1/intake/cases/${dispute.id}`);
  const mine = await api("GET", `/v1/intake/stage-lateness?case_id=${dispute.id}`);
  const receipt = mine.rows.find(r => r.stage === "CASE_STAGE_RECEIPT" && r.assignment === 1);
  check(moved.assignee.code === d.communities[0] && moved.stages.assignment === 2 && receipt
        && receipt.holder.code === firstHolder.code && receipt.holder_unit === d.communities[0]
        && mine.rows.some(r => r.stage === "CASE_STAGE_FIRST_RESPONSE" && r.holder.code === firstHolder.code),
        `the dispute is with ${moved.assignee.name} now; its late receipt and first response stay ${firstHolder.name}'s`);
  const completions = await api("GET", `/v1/intake/stage-lateness?case_id=${allowance.id}&stage=CASE_STAGE_COMPLETION`);
  check(completions.rows.length === 1 && completions.rows[0].holder.code === allowance.assignee.code
        && completions.rows[0].holder_unit === "",
        `the allowance's completion late, the department's (${JSON.stringify(completions.rows)})`);

  const page = await newPage(browser);
  await logIn(page, "street_staff");
  await page.locator('[data-test="nav-cases"]').click();
  await page.locator('[data-test="desk-lateness"]').click();
  await page.waitForSelector('[data-test="late-holders"]');
  const street = d.streets[0];
  check((await page.locator('[data-test="late-under"] input, input[data-test="late-under"]').inputValue()) === street,
        `the list opens on the person's street ${street}`);
  const all = await lateRows(street);
  const today = districtDay();
  const monthAgo = districtDay(Date.now() - 29 * DAY);
  const want = await checkCounts(page, inPeriod(all, monthAgo, today), "the street, the last 30 days");
  check(want.holders.has(`${firstHolder.kind}:${firstHolder.code}`)
        && want.holders.has(`ASSIGNEE_KIND_DEPARTMENT:${allowance.assignee.code}`),
        "the committee member and the department each count their own");
  const row = `late-case-${dispute.id}-CASE_STAGE_RECEIPT-1`;
  await page.waitForFunction(([test, number]) => document.querySelector(`[data-test="${test}"]`)?.innerText.trim() === number,
    [row, dispute.registration_number], { timeout: 10000 }).catch(() => {});
  check(await text(page, row) === dispute.registration_number, `the case by its number, ${dispute.registration_number}`);
  check((await page.locator(`[data-test="${row}"]`).locator("xpath=ancestor::tr").innerText()).includes(firstHolder.name),
        `the dispute's receipt reads ${firstHolder.name}, who held it then`);
  // The department's row in the units table: counted apart, as the department.
  check((await text(page, `late-unit-${allowance.assignee.code}`)).startsWith(allowance.assignee.code),
        "a department's lateness counted as its own");
  await screenshot(page, "lateness-street");

  // 签收 only.
  await page.locator('[data-test="late-stage"]').click();
  await page.locator('[data-test="late-stage-CASE_STAGE_RECEIPT"]').click();
  await page.locator('[data-test="late-load"]').click();
  const receipts = inPeriod(all.filter(r => r.stage === "CASE_STAGE_RECEIPT"), monthAgo, today);
  await checkCounts(page, receipts, "签收 only");
  check(receipts.length < inPeriod(all, monthAgo, today).length, "签收 only lists fewer");

  // A period that leaves the last days out: the link names it.
  const from = districtDay(Date.now() - 29 * DAY), to = districtDay(Date.now() - 3 * DAY);
  await page.goto(`${fixture.gateway}/#/cases/lateness?under=${street}&from=${from}&to=${to}`);
  await page.reload();
  await page.waitForSelector('[data-test="late-holders"]');
  const earlier = inPeriod(all, from, to);
  await checkCounts(page, earlier, `due ${from} to ${to}`);
  check(earlier.length < inPeriod(all, monthAgo, today).length, "the period leaves the later stages out");

  // One holder's own rows.
  await page.goto(`${fixture.gateway}/#/cases/lateness`);
  await page.reload();
  await page.waitForSelector(`[data-test="late-holder-${firstHolder.kind}:${firstHolder.code}"]`);
  await page.locator(`[data-test="late-holder-${firstHolder.kind}:${firstHolder.code}"]`).click();
  await page.waitForSelector('[data-test="late-picked"]');
  const theirs = inPeriod(all, monthAgo, today).filter(r => r.holder.code === firstHolder.code);
  const listed = await page.locator('[data-test="late-rows"] .el-table__body-wrapper tr.el-table__row').allInnerTexts();
  check(listed.length === Math.min(theirs.length, 20) && listed.every(l => l.includes(firstHolder.name))
        && listed.some(l => l.includes(districtTime(receipt.due_unix_ms))),
        `${firstHolder.name}'s own: ${listed.length} late stages, the receipt due ${districtTime(receipt.due_unix_ms)}`);
  await screenshot(page, "lateness-holder");
  checkNoErrors(page, "the late stages");

  // On a phone, in English.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "street_staff");
  await phone.goto(`${fixture.gateway}/#/cases/lateness`);
  await phone.waitForSelector('[data-test="late-holders"] .el-table__body-wrapper tr.el-table__row');
  await checkNoOverflow(phone, "the late stages at 375 px");
  await screenshot(phone, "lateness-phone");
  await phone.locator('[data-test="language"]').click();
  await phone.waitForFunction(() => document.querySelector('[data-test="late-count-total"]')?.innerText.includes("late stages"));
  await checkNoOverflow(phone, "the late stages at 375 px in English");
  await screenshot(phone, "lateness-phone-en");
  checkNoErrors(phone, "the late stages on a phone");
});
