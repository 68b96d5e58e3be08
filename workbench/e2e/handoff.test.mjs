// Hand-off between intakes (移交), and a department's staff working their
// own intake: the district's community window hands a case of the civil
// affairs bureau's (临时救助) to the bureau's own intake,
// intake@civil-affairs, which the harness runs beside the district's
// (tests/workbench/workbench_handoff.c, as scripts/up.sh does). The clerk
// is told where intake's hand-off rule sends it (the bureau: its item's
// department), gives the reason and sees 移交中 turn to 已移交 with the
// bureau's case reference; a community's staff, who may not act on a case
// of another street, sees no 移交 and intake refuses them too. The bureau's
// window, an account that works at the bureau's intake (set by the admin
// route), sees which intake it is on in the header, finds the case on its
// desk once, and reads it with the district's steps before its own: every
// field the page shows against the bureau's rows in SQL (intake_civil).
// Desktop and 375 px.
import { execFileSync } from "node:child_process";
import { api, check, checkNoErrors, checkNoOverflow, districtTime, fixture, logIn, newPage, run, screenshot, field }
  from "./lib.mjs";
import { historyNote } from "../src/workflows/cases/cases.js";
import { bilingual } from "../src/format.js";
import { withInstanceLabels } from "../src/instances.js";

const BUREAU = "intake@civil-affairs";
const SCHEMA = "intake_civil";           // the bureau's schema (workbench_handoff.h)
const d = fixture.district;
const text = async (page, test) => (await page.locator(`[data-test="${test}"]`).first().innerText()).trim();
const STATUS = { 1: "待受理", 2: "已受理", 3: "已派单", 4: "办理中", 5: "待回访", 6: "已办结", 7: "不予受理", 8: "已转办" };
const CHANNEL = { 1: "窗口", 4: "网站" };
// The intakes as the pages name them (grid's department 民政局).
const LABELS = { intake: "区受理平台", [BUREAU]: "民政局受理平台" };
const named = text => withInstanceLabels(text, Object.keys(LABELS), i => LABELS[i]);

// Rows from the test's database as JSON (psql with the harness's PG*
// settings, as the superuser it names in WB_SQL_USER).
function sql(query) {
  const out = execFileSync("psql", ["-XAtq", "-v", "ON_ERROR_STOP=1", "-c",
    `SELECT coalesce(json_agg(t), '[]') FROM (${query}) t`],
  { encoding: "utf8", env: { ...process.env, PGUSER: process.env.WB_SQL_USER } });
  return JSON.parse(out.trim());
}
const ms = column => `(extract(epoch FROM ${column}) * 1000)::bigint`;
const quote = value => `'${String(value).replace(/'/g, "''")}'`;

// A session as a browser gets it (cookie and CSRF token), without a browser.
async function session(login, password) {
  const response = await fetch(fixture.gateway + "/v1/session", { method: "POST",
    headers: { "Content-Type": "application/json", Origin: fixture.origin }, body: JSON.stringify({ login, password }) });
  const json = await response.json();
  if (!response.ok) throw new Error(`login ${login}: ${response.status} ${JSON.stringify(json)}`);
  const cookie = response.headers.get("set-cookie").split(";")[0];
  return { cookie, csrf: json.csrf_token, json };
}
async function asPerson(s, method, path, body) {
  const response = await fetch(fixture.gateway + path, { method, headers: { Cookie: s.cookie, "X-CSRF-Token": s.csrf,
    Origin: fixture.origin, "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, json: await response.json().catch(() => null) };
}

await run(async browser => {
  // --- what the test starts from ----------------------------------------
  // A temporary assistance registered at the community's window (the
  // bureau's matter: routed to its department at the district's intake).
  const household = d.households[0][7];
  const description = `家中老人突发重病住院，申请临时救助（e2e ${Date.now()}）`;
  const registered = await api("POST", "/v1/intake/cases", { channel: "CASE_CHANNEL_WINDOW", item_code: "temporary-assistance",
    description, requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: household, name: "赵桂兰", phone: "13941000777" } });
  const id = registered.id;
  check(registered.status === "CASE_STATUS_ASSIGNED", `seeded: case ${registered.registration_number} at the district (${registered.status})`);

  // The bureau's window: a staff record of the bureau and an account that
  // works at the bureau's intake, made by the administrators' route.
  const staff = await api("POST", "/v1/grid/staff", { name: "李文华", kind: "STAFF_KIND_DEPARTMENT_STAFF", unit_code: d.code,
    department_code: "civil-affairs", title: "窗口受理员", active: true });
  const login = "mz.window";
  const first = "Mz-Window-first-2026", password = "Mz-Window-second-2026";
  const account = await api("POST", "/v1/admin/accounts", { login, display_name: "李文华", staff_id: staff.id,
    department_code: "civil-affairs", roles: ["window_clerk"], instance: BUREAU, password: first });
  check(account.instance === BUREAU, `the account works at ${account.instance}`);
  check(sql(`SELECT instance FROM gateway.account WHERE login = ${quote(login)}`)[0].instance === BUREAU,
    "the account's instance is in the gateway's table");
  const firstSession = await session(login, first);
  check((await asPerson(firstSession, "POST", "/v1/session/password", { old_password: first, new_password: password })).status === 200,
    "the bureau's window changed its first password");

  // --- the district's window hands it to the bureau -------------------------
  const page = await newPage(browser);
  await logIn(page, "window_clerk");
  check(await page.locator('[data-test="intake-switch"]').count() === 0,
    "a district account: no intake to choose in the header (the district's alone)");
  await page.goto(`${fixture.gateway}/#/cases/${id}`);
  await page.waitForSelector('[data-test="step-handoff"]');
  await page.locator('[data-test="step-handoff"]').click();
  await page.waitForSelector('[data-test="step-form-handoff"]');
  // Intake's hand-off rule names the bureau (its item's department is the
  // bureau's): the clerk is told, not asked to choose.
  const target = (await api("GET", `/v1/intake/cases/${id}`)).handoff_target;
  check(target === BUREAU, `intake's rule names ${target} for the case`);
  check(await text(page, "step-handoff-rule") === "按移交规则，本件由 民政局受理平台 办理"
    && await page.locator('[data-test="step-to-instance"]').count() === 0,
    "the form says where intake's rule hands it, named by grid's department (民政局受理平台)");
  await page.locator(field("step-reason")).fill("临时救助由区民政局审批，转区民政局办理。");
  await screenshot(page, "handoff-form");
  await page.locator('[data-test="step-submit"]').click();
  await page.waitForSelector('[data-test="step-done"]');
  // 移交中 while the bureau has not answered, then 已移交 with its case.
  await page.waitForFunction(() => document.querySelector('[data-test="case-handoff-standing"]')?.innerText.trim() === "已移交",
    null, { timeout: 20000 });
  const out = sql(`SELECT o.state, o.to_instance, o.to_case_id, o.to_registration, o.reason, ${ms("o.sent_at")} AS sent,
    ${ms("o.linked_at")} AS linked, c.status FROM intake.case_handoff_out o JOIN intake.intake_case c ON c.id = o.case_id
    WHERE o.case_id = ${id}`);
  check(out.length === 1 && out[0].state === 2 && out[0].to_instance === BUREAU && out[0].status === 8,
    `the district's case handed once, linked (${JSON.stringify(out)})`);
  const sent = out[0];
  check(await text(page, "case-status") === "已转办", "the district's case reads 已转办");
  check(await page.locator('[data-test="case-transferred-to"]').count() === 0,
    "the hand-off's row names the bureau (no raw 转办至 intake@civil-affairs)");
  const told = await text(page, "case-handoff-text");
  check(told === `已移交 民政局受理平台，对方案件 ${sent.to_registration}（#${sent.to_case_id}）`,
    `the page names the bureau's case: ${told}`);
  check(await text(page, "case-handoff-reason") === `理由：${sent.reason}`, "the reason as intake keeps it");
  check((await text(page, "case-handoff-at")).includes(districtTime(sent.sent)) &&
    (await text(page, "case-handoff-at")).includes(districtTime(sent.linked)), "sent and taken at intake's times");
  check(await page.locator('[data-test="step-handoff"]').count() === 0, "handed: no 移交 any more");
  await screenshot(page, "handoff-linked");
  checkNoErrors(page, "the district's case page");

  // Who may not act on the case sees no 移交, and intake refuses them too:
  // the department's staff, on a case of their department's item that is
  // now assigned to a person, not to their department (the rule still
  // hands it to the bureau; they may read it, not act on it).
  const deptPage = await newPage(browser);
  await logIn(deptPage, "department_staff");
  const other = await api("POST", "/v1/intake/cases", { channel: "CASE_CHANNEL_WINDOW", item_code: "temporary-assistance",
    description: "e2e 临时救助，已派给社区工作人员", requester: { kind: "REQUESTER_KIND_RESIDENT",
      household_code: d.households[0][6], name: "钱明", phone: "13941000778" } });
  const reassigned = await api("POST", `/v1/intake/cases/${other.id}/assign`, { ref: { id: other.id },
    assignee: { kind: "ASSIGNEE_KIND_STAFF", code: fixture.people.community_staff.staff_id }, note: "e2e" });
  check(reassigned.handoff_target === BUREAU && reassigned.assignee.kind === "ASSIGNEE_KIND_STAFF",
    "a case of the bureau's item, assigned to a community's staff member");
  await deptPage.goto(`${fixture.gateway}/#/cases/${other.id}`);
  await deptPage.waitForSelector('[data-test="case-number"]');
  check(await deptPage.locator('[data-test="step-handoff"]').count() === 0,
    "the department's staff: no 移交 on a case not theirs to handle");
  const dept = await session(fixture.people.department_staff.login, fixture.people.department_staff.password);
  const refused = await asPerson(dept, "POST", `/v1/intake/cases/${other.id}/handoff`,
    { ref: { id: other.id }, reason: "e2e" });
  check(refused.status === 403, `…and intake refuses them the hand-off (${refused.status} ${refused.json?.error?.message})`);
  check(sql(`SELECT 1 FROM intake.case_handoff_out WHERE case_id = ${other.id}`).length === 0, "…and nothing was handed");

  // --- the bureau's window, at the bureau's intake ---------------------------
  const bureau = await newPage(browser);
  await bureau.goto(fixture.gateway + "/#/login");
  await bureau.locator(field("login")).fill(login);
  await bureau.locator(field("password")).fill(password);
  await bureau.locator('[data-test="login-submit"]').click();
  await bureau.waitForSelector('[data-test="intake-switch"]');
  check((await bureau.locator('[data-test="intake-switch"]').innerText()).includes("民政局受理平台")
    && (await bureau.locator(".intake-head").innerText()).includes("当前受理平台"),
    "the header says which intake: 当前受理平台 民政局受理平台");
  await bureau.goto(`${fixture.gateway}/#/cases?queue=accepted`);
  const received = sql(`SELECT c.id, c.registration_number, c.status, c.channel, c.item_code, i.name AS item_name,
    c.first_responder_id, c.first_responder_name,
    c.unit_code, c.description, c.household_code, ${ms("c.received_at")} AS received, ${ms("c.due_at")} AS due,
    h.from_instance, h.from_case_id, h.from_registration, h.reason, ${ms("h.received_at")} AS taken
    FROM ${SCHEMA}.intake_case c JOIN ${SCHEMA}.case_handoff_in h ON h.case_id = c.id
    JOIN ${SCHEMA}.service_item i ON i.code = c.item_code WHERE h.from_case_id = ${id}`);
  check(received.length === 1 && received[0].id === sent.to_case_id && received[0].from_instance === "intake",
    `the bureau received it once, as case ${sent.to_registration}`);
  const c = received[0];
  await bureau.waitForSelector(`[data-test="desk-case-${c.id}"]`);
  check(await bureau.locator(`[data-test="desk-case-${c.id}"]`).count() === 1, "on the bureau's desk once");
  check(await text(bureau, `desk-case-${c.id}`) === c.registration_number, `the desk shows ${c.registration_number}`);
  check(await text(bureau, "desk-intake") === "民政局受理平台", "the desk says it is the bureau's intake");
  await screenshot(bureau, "handoff-bureau-desk");
  await bureau.locator(`[data-test="desk-case-${c.id}"]`).click();
  await bureau.waitForSelector('[data-test="case-handoff"]');
  const history = sql(`SELECT seq, actor_id, actor_name, note, ${ms("at")} AS at FROM ${SCHEMA}.case_history
    WHERE case_id = ${c.id} ORDER BY seq DESC`);
  await bureau.waitForFunction(n => document.querySelectorAll('[data-test="history-action"]').length === n, history.length);
  // Every field the page shows, against the bureau's row.
  check(await text(bureau, "case-number") === c.registration_number && c.registration_number.startsWith("MZ"),
    `number ${c.registration_number} (the bureau's prefix)`);
  check(await text(bureau, "case-status") === STATUS[c.status], `status ${STATUS[c.status]}`);
  check(await text(bureau, "case-item") === bilingual(c.item_name, "zh-CN"), `item ${bilingual(c.item_name, "zh-CN")}`);
  check(await text(bureau, "case-channel") === CHANNEL[c.channel], `channel ${CHANNEL[c.channel]}`);
  check(await text(bureau, "case-household") === c.household_code && c.household_code === household, `household ${household}`);
  check(await text(bureau, "case-unit") === c.unit_code, `unit ${c.unit_code}`);
  check(await text(bureau, "case-description") === c.description && c.description === description, "the resident's words");
  check(await text(bureau, "case-received") === districtTime(c.received), `registered ${districtTime(c.received)}`);
  check(await text(bureau, "case-due") === districtTime(c.due), `due ${districtTime(c.due)}`);
  check(await text(bureau, "case-first-responder") === (c.first_responder_name || c.first_responder_id || ""),
    `first responder "${c.first_responder_name || c.first_responder_id || ""}" as the row`);
  // The requester travels packed (not a column): as registered at the district.
  check(await text(bureau, "case-requester") === "赵桂兰" && await text(bureau, "case-phone") === "13941000777",
    "the requester and phone as registered at the district's window");
  check(await bureau.locator('[data-test="step-handoff"]').count() === 0, "at the bureau the rule names no other intake: no 移交");
  check(await text(bureau, "case-handoff-text") === `由 区受理平台 移交，原案件 ${c.from_registration}（#${c.from_case_id}）`
    && c.from_registration === registered.registration_number, `from the district's ${c.from_registration}`);
  check(await text(bureau, "case-handoff-reason") === `理由：${c.reason}`, "the reason as the bureau keeps it");
  check((await text(bureau, "case-handoff-at")).includes(districtTime(c.taken)), `taken ${districtTime(c.taken)}`);
  check(await bureau.locator('[data-test="case-handoff-standing"]').count() === 0, "received: no 移交中/已移交 beside it");
  // The history: the district's steps, then the bureau's receipt, each as its row.
  const actors = await bureau.locator('[data-test="history-actor"]').allInnerTexts();
  const notes = await bureau.locator('[data-test="history-note"]').allInnerTexts();
  const times = await bureau.locator(".el-timeline-item__timestamp").allInnerTexts();
  for (let i = 0; i < history.length; i++) {
    const h = history[i];
    check(actors[i].trim() === `办理人：${named(h.actor_name || h.actor_id)}` && times[i].trim() === districtTime(h.at),
      `history step ${h.seq}: ${actors[i].trim()} at ${districtTime(h.at)}`);
  }
  check(JSON.stringify(notes.map(n => n.trim())) === JSON.stringify(history.filter(h => h.note).map(h => named(historyNote(h.note)))),
    `the notes as the rows', the intakes named (${notes.map(n => n.trim()).join(" | ")})`);
  // The district's steps up to its 移交 (not the link that came back after)
  // come first at the bureau, as the district has them.
  const district = sql(`SELECT seq, action, actor_id, note, ${ms("at")} AS at FROM intake.case_history WHERE case_id = ${id}
    AND seq <= (SELECT max(seq) FROM intake.case_history WHERE case_id = ${id} AND action = 55) ORDER BY seq`);
  const copied = sql(`SELECT seq, action, actor_id, note, ${ms("at")} AS at FROM ${SCHEMA}.case_history WHERE case_id = ${c.id}
    AND seq <= ${district.length} ORDER BY seq`);
  const same = (a, b) => a.seq === b.seq && a.action === b.action && a.actor_id === b.actor_id && a.note === b.note
    && Math.abs(Number(a.at) - Number(b.at)) <= 1;
  check(district.length >= 2 && copied.length === district.length && district.every((h, i) => same(h, copied[i]))
    && history.length === district.length + 1,
    `the district's ${district.length} steps first, as the district has them, then the bureau's receipt`);
  const api_history = await api("GET", `/v1/instances/${BUREAU}/intake/cases/${c.id}/history`);
  check(api_history.transitions.at(-1).action === "CASE_ACTION_HANDOFF_RECEIVED"
    && (await bureau.locator('[data-test="history-action"]').first().innerText()).trim() === "接收移交",
    "the last step: 接收移交");
  check(await bureau.locator('[data-test="step-accept"], [data-test="step-start"], [data-test="step-resolve"]').count() > 0,
    "the bureau's window may work the case");
  await screenshot(bureau, "handoff-bureau-case");
  checkNoErrors(bureau, "the bureau's pages");

  // The district's intake, chosen in the header: the district's desk, not the bureau's case.
  await bureau.goto(`${fixture.gateway}/#/cases?queue=accepted`);
  await bureau.locator('[data-test="intake-switch"]').click();
  await bureau.locator('[data-test="intake-choice-intake"]').click();
  await bureau.waitForFunction(() => document.querySelector('[data-test="desk-intake"]')?.innerText.trim() === "区受理平台");
  await bureau.waitForFunction(() => !document.querySelector(".el-loading-mask") ||
    getComputedStyle(document.querySelector(".el-loading-mask")).display === "none");
  check(!(await bureau.locator('[data-test="desk-table"]').innerText()).includes(c.registration_number),
    "at the district's intake the bureau's case is not on the desk");
  // The district's window account may not reach the bureau's intake.
  const clerk = await session(fixture.people.window_clerk.login, fixture.people.window_clerk.password);
  const away = await asPerson(clerk, "GET", `/v1/instances/${BUREAU}/intake/cases/${c.id}`);
  check(away.status === 403, `the district's window is refused the bureau's intake (${away.status})`);

  // --- at a phone's width -------------------------------------------------------
  const phone = await newPage(browser, { width: 375, height: 740 });
  await phone.goto(fixture.gateway + "/#/login");
  await phone.locator(field("login")).fill(login);
  await phone.locator(field("password")).fill(password);
  await phone.locator('[data-test="login-submit"]').click();
  await phone.waitForSelector('[data-test="intake-switch"]');
  await phone.evaluate(() => localStorage.removeItem("sifang.intake.mz.window"));
  await phone.goto(`${fixture.gateway}/#/cases/${c.id}`);
  await phone.reload();
  await phone.waitForSelector('[data-test="case-handoff"]');
  check(await text(phone, "user") === "李文华" && await phone.locator('[data-test="user"]')
    .evaluate(e => e.scrollWidth <= e.clientWidth), "at 375 px the name is read whole in the header");
  check((await phone.locator(".intake-strip").innerText()).includes("当前受理平台")
    && (await phone.locator('[data-test="intake-switch"]').innerText()).includes("民政局受理平台"),
    "at 375 px the intake in a strip under the header");
  await checkNoOverflow(phone, "the bureau's case at 375 px");
  await screenshot(phone, "handoff-bureau-case-phone");
  const districtPhone = await newPage(browser, { width: 375, height: 740 });
  await logIn(districtPhone, "window_clerk");
  await districtPhone.goto(`${fixture.gateway}/#/cases/${id}`);
  await districtPhone.waitForSelector('[data-test="case-handoff-standing"]');
  await checkNoOverflow(districtPhone, "the handed case at 375 px");
  await screenshot(districtPhone, "handoff-linked-phone");
  checkNoErrors(phone, "the bureau's case at 375 px");
});
