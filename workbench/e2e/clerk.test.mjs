// Workflow 1, the window clerk: finds a household by its address, by its
// code and by a resident's ID number (never shown whole), picks an item
// whose materials and time limit show before registering, is told beside
// the field what intake refuses (the form keeps what was typed), registers,
// and reads a receipt whose number, due time and every field equal the
// case in intake; the case is among "my cases" with its status and time
// left. A leader has no such page and intake refuses their registration.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot, districtTime } from "./lib.mjs";

const d = fixture.district;
const text = async (page, test) => (await page.locator(`[data-test="${test}"]`).first().innerText()).trim();
const zh = name => name.replace(/\s+[A-Za-z].*$/, "");

async function find(page, by, value) {
  await page.locator(`[data-test="clerk-by-${by}"]`).click();
  await page.locator(field("clerk-search")).fill(value);
  await page.locator('[data-test="clerk-find"]').click();
}

await run(async browser => {
  const page = await newPage(browser);
  const clerk = await logIn(page, "window_clerk");
  await page.locator('[data-test="nav-clerk"]').click();
  await page.waitForSelector('[data-test="clerk-form"]');

  // By address: "1号楼103" is the third household of the first street.
  const byAddress = d.households[0][2];
  const household = await api("GET", `/v1/grid/households/${byAddress}`);
  const resident = (await api("GET", `/v1/grid/residents?household_code=${byAddress}`)).residents[0];
  await find(page, "address", "1号楼 103");
  await page.waitForSelector(`[data-test="clerk-household-${byAddress}"]`);
  check((await page.locator('[data-test^="clerk-household-3"]').count()) === 1,
        "by address: one household holds 1号楼 and 103");
  check(await text(page, "clerk-household-address") === household.address,
        `by address: the household's address as grid has it (${household.address})`);
  check(await text(page, "clerk-resident-name") === resident.name,
        `by address: its resident named in clear, as grid gives the clerk (${resident.name})`);

  // By household code.
  await find(page, "household", d.households[0][0]);
  await page.waitForSelector(`[data-test="clerk-household-${d.households[0][0]}"]`);
  check(true, "by household code: the household found");

  // By ID number: the household of that resident, the number never whole.
  const idNumber = d.id_numbers[0][1];
  const found = await api("POST", "/v1/grid/residents:find", { id_number: idNumber });
  await find(page, "id", idNumber);
  await page.waitForSelector(`[data-test="clerk-resident-${found.id}"]`);
  check(await text(page, "clerk-chosen-household") !== "" &&
        (await text(page, "clerk-chosen-household")).startsWith(d.households[0][1]),
        "by ID number: the resident's household is chosen");
  check(await text(page, "clerk-resident-id-number") === found.id_number_masked && !found.id_number_masked.includes(idNumber.slice(6, 14)),
        `by ID number: the number shown masked (${found.id_number_masked})`);
  check(!(await page.content()).includes(idNumber) && (await page.locator(field("clerk-search")).inputValue()) === "",
        "by ID number: the whole number is nowhere on the page once found (the box is cleared)");
  check((await page.locator(field("clerk-name")).inputValue()) === found.name, "the requester's name filled from grid");

  // The item: its time limit and materials before registering.
  const item = await api("GET", "/v1/intake/items/elderly-allowance");
  await page.locator('[data-test="clerk-item"]').click();
  await page.locator(".el-select-dropdown__item", { hasText: zh(item.name) }).click();
  await page.waitForSelector('[data-test="clerk-item-materials"]');
  check(await text(page, "clerk-item-time-limit") === `${item.time_limit}个工作日`,
        `the item's time limit: ${item.time_limit}个工作日`);
  const materials = await page.locator('[data-test="clerk-item-materials"] li').allInnerTexts();
  check(JSON.stringify(materials) === JSON.stringify(item.required_materials.map(zh)),
        `the item's materials in Chinese: ${materials.join("、")}`);
  await page.locator('[data-test="clerk-channel"]').click();
  await page.locator(".el-select-dropdown__item", { hasText: "热线电话" }).click();

  // A phone intake refuses: said beside the field; nothing typed is lost.
  const description = `申领高龄津贴 e2e ${Date.now()}`;
  await page.locator(field("clerk-phone")).fill("12345");
  await page.locator(field("clerk-description")).fill(description);
  await page.locator('[data-test="clerk-submit"]').click();
  await page.waitForSelector(".el-form-item__error");
  const refusal = (await page.locator(".el-form-item__error").first().innerText()).trim();
  check(/电话/.test(refusal), `a bad phone refused beside the field in Chinese: ${refusal}`);
  check((await page.locator(field("clerk-description")).inputValue()) === description,
        "after the refusal the form keeps the description");
  await screenshot(page, "clerk-refused");

  await page.locator(field("clerk-phone")).fill("13912345678");
  await page.locator('[data-test="clerk-submit"]').click();
  await page.waitForSelector('[data-test="clerk-receipt"]');
  const number = await text(page, "receipt-number");
  const saved = await api("GET", `/v1/intake/case-numbers/${encodeURIComponent(number)}`);
  const mine = (await api("GET", `/v1/intake/cases?first_responder_id=${clerk.staff_id}&page_size=100`)).cases;
  check(mine.filter(c => c.description === description).length === 1, "registered once");
  check(saved.description === description && saved.first_responder_id === clerk.staff_id
        && saved.requester.household_code === d.households[0][1] && saved.requester.resident_id === found.id
        && saved.requester.phone === "13912345678" && saved.channel === "CASE_CHANNEL_HOTLINE",
        `intake holds the case as typed, the clerk its first responder (${number})`);
  const shown = {
    "receipt-item": zh(saved.item_name), "receipt-name": saved.requester.name, "receipt-channel": "热线电话",
    "receipt-received": districtTime(saved.received_unix_ms), "receipt-due": districtTime(saved.due_unix_ms),
    "receipt-status": { CASE_STATUS_ASSIGNED: "已派单", CASE_STATUS_ACCEPTED: "已受理" }[saved.status],
    "receipt-assignee": saved.assignee.name, "receipt-first-responder": saved.first_responder_name || saved.first_responder_id,
    "receipt-address": (await api("GET", `/v1/grid/households/${d.households[0][1]}`)).address, "receipt-materials": item.required_materials.map(zh).join("；"),
  };
  for (const [test, expected] of Object.entries(shown))
    check(await text(page, test) === expected, `the receipt's ${test.slice(8)}: ${expected}`);
  await screenshot(page, "clerk-receipt");

  // Printing: the button prints, and on paper the receipt stands alone.
  await page.evaluate(() => { window.print = () => { window.printed = true; }; });
  await page.locator('[data-test="clerk-print"]').click();
  check(await page.evaluate(() => window.printed === true), "the print button prints");
  await page.emulateMedia({ media: "print" });
  const visibility = await page.evaluate(() => [
    getComputedStyle(document.querySelector(".frame-header")).visibility,
    getComputedStyle(document.querySelector('[data-test="receipt-number"]')).visibility]);
  check(visibility[0] === "hidden" && visibility[1] === "visible", "on paper: the receipt alone, not the frame");
  await page.emulateMedia({ media: "screen" });

  // My cases: the case with its status, due time and time left.
  await page.locator('[data-test="clerk-mine-link"]').click();
  await page.waitForSelector(`[data-test="mine-number-${saved.id}"]`);
  check(await text(page, `mine-number-${saved.id}`) === number, "my cases: the registration number");
  check(await text(page, `mine-status-${saved.id}`) === shown["receipt-status"], "my cases: the status");
  check(await text(page, `mine-due-${saved.id}`) === districtTime(saved.due_unix_ms), "my cases: the due time");
  check(/^还剩 /.test(await text(page, `mine-countdown-${saved.id}`)), "my cases: the time left");
  await page.waitForTimeout(400);  // the table's loading mask fades out
  await screenshot(page, "clerk-mine");
  checkNoErrors(page, "the clerk's pages");

  // On a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "window_clerk");
  await phone.goto(fixture.gateway + "/#/clerk");
  await phone.waitForSelector('[data-test="clerk-form"]');
  await find(phone, "household", d.households[0][0]);
  await phone.waitForSelector(`[data-test="clerk-household-${d.households[0][0]}"]`);
  await checkNoOverflow(phone, "registration at 375 px");
  await screenshot(phone, "clerk-phone");
  await phone.goto(fixture.gateway + "/#/clerk/mine");
  await phone.waitForSelector(`[data-test="mine-number-${saved.id}"]`);
  await checkNoOverflow(phone, "my cases at 375 px");
  await screenshot(phone, "clerk-mine-phone");
  checkNoErrors(phone, "the clerk's pages on a phone");

  // A leader: no window; intake refuses their registration.
  const leader = await newPage(browser);
  await logIn(leader, "leader");
  check(await leader.locator('[data-test="nav-clerk"]').count() === 0, "a leader has no window in the menu");
  await leader.goto(fixture.gateway + "/#/clerk");
  await leader.waitForSelector(".home");
  check(!leader.url().includes("/clerk"), "a leader sent to /clerk lands on the home page");
  const status = await leader.evaluate(async body => {
    const session = await (await fetch("/v1/session")).json();
    const reply = await fetch("/v1/intake/cases", { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf_token } });
    return [reply.status, (await reply.json()).error.status];
  }, { channel: "CASE_CHANNEL_WINDOW", item_code: "elderly-allowance", description: "x",
       requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: d.households[0][0], name: "x", phone: "13912345678" } });
  check(status[0] === 403 && status[1] === "PERMISSION_DENIED", `intake refuses a leader's registration: ${status.join(" ")}`);
  checkNoErrors(leader, "the leader's pages");
});
