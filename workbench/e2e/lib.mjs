// What every workflow's browser test shares: the fixture the harness wrote
// (tests/workbench/workbench_e2e_test.c), Debian's headless Chromium through
// playwright-core, logging in through the login page as a role, the admin
// API for the data a workflow needs, checks that say what they checked,
// screenshots, and the page's health (no console errors, no horizontal
// overflow).
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

export const fixture = JSON.parse(readFileSync(process.env.FIXTURE, "utf8"));
const shots = process.env.SCREENSHOT_DIR || ".";

// The district's time as the workbench writes it ("2026-12-07 14:05",
// Asia/Shanghai whatever the machine's zone), and its day.
export function districtTime(ms) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(Number(ms)));
  const get = type => parts.find(p => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

export function districtDay(ms = Date.now()) {
  return districtTime(ms).slice(0, 10);
}

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

// The gateway's REST API with the admin key (or another of the fixture's:
// key): to set up what a workflow starts from, and to read back what it did.
export async function api(method, path, body, { requestId, key } = {}) {
  const headers = { Authorization: `Bearer ${key || fixture.admin_key}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (requestId) headers["Idempotency-Key"] = requestId;
  const response = await fetch(fixture.gateway + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return json;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"],
  });
}

// A page of its own (fresh cookies) at the given size, collecting console
// errors and failed scripts; page.errors lists them.
export async function newPage(browser, { width = 1366, height = 768 } = {}) {
  const context = await browser.newContext({
    viewport: { width, height }, locale: "zh-CN", timezoneId: "Asia/Shanghai",
  });
  const page = await context.newPage();
  page.errors = [];
  page.on("console", message => {
    if (message.type() === "error") page.errors.push(message.text());
  });
  page.on("pageerror", error => page.errors.push(String(error)));
  return page;
}

// An Element Plus input by its data-test: the attribute lands on the
// native input (el-input passes attributes through), or on a wrapper.
export function field(name) {
  return `input[data-test="${name}"], textarea[data-test="${name}"], [data-test="${name}"] input`;
}

// Logs in through the login page as the fixture's person of role; waits
// for the home page.
export async function logIn(page, role) {
  const person = fixture.people[role];
  if (!person) throw new Error(`no person of role ${role} in the fixture`);
  await page.goto(fixture.gateway + "/#/login");
  await page.locator(field("login")).fill(person.login);
  await page.locator(field("password")).fill(person.password);
  await page.locator('[data-test="login-submit"]').click();
  await page.waitForSelector('[data-test="user"]');
  return person;
}

export async function screenshot(page, name) {
  const path = `${shots}/${name}.png`;
  // Not halfway through a dialog's closing or a message's fading: what a
  // person sees once the page is still.
  await page.waitForFunction(() => ![...document.querySelectorAll(".el-overlay, .el-message")]
    .some(e => getComputedStyle(e).display !== "none" && e.getAnimations().length > 0), null, { timeout: 3000 })
    .catch(() => {});
  await page.waitForTimeout(150);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot ${path}`);
  return path;
}

// Nothing wider than the window (a phone must not scroll sideways).
export async function checkNoOverflow(page, what) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth,
    document.documentElement.clientWidth]);
  check(scroll <= client + 1, `${what}: no horizontal overflow (${scroll} <= ${client})`);
}

export function checkNoErrors(page, what) {
  // The gateway's refusals a test provokes on purpose show as failed
  // resources; scripts must not fail.
  const errors = page.errors.filter(e => !/Failed to load resource/.test(e));
  check(errors.length === 0, `${what}: no console errors${errors.length ? ": " + errors.join(" | ") : ""}`);
}

// Runs a test body with a browser, closing it whatever happens; a failure
// exits 1 with the reason.
export async function run(body) {
  const browser = await launch();
  try {
    await body(browser);
    console.log("passed");
  } catch (error) {
    console.error(error.stack || String(error));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
