// Drives the dashboard in Debian's headless Chromium as a person would: the
// key form, the district's figures, the panels of services that are not
// running saying "not available", the drill-down street -> community -> zone
// and back, no script errors; keeps a screenshot. Run by gateway_dashboard_test
// with GATEWAY_URL, API_KEY, SCREENSHOT (and EXPECT_* figures) in the environment.
import { chromium } from "playwright-core";

const url = process.env.GATEWAY_URL;
const key = process.env.API_KEY;
const screenshot = process.env.SCREENSHOT;
const streets = Number(process.env.EXPECT_STREETS);
const households = Number(process.env.EXPECT_HOUSEHOLDS);
const street = process.env.EXPECT_STREET;
const community = process.env.EXPECT_COMMUNITY;
const zone = process.env.EXPECT_ZONE;

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

// An empty profile directory of the test's own (playwright passes it to
// Chromium as --user-data-dir).
const userDataDir = process.env.USER_DATA_DIR;
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1400, height: 1800 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failed = false;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", error => errors.push(error.message));
  page.on("console", message => { if (message.type() === "error" && !/status of (4|5)\d\d/.test(message.text())) errors.push(message.text()); });

  await page.goto(url);
  await page.waitForSelector("#login:not([hidden])");
  check(await page.isVisible("#api-key"), "without a key the page asks for one");

  // A wrong key is refused and the form stays.
  await page.fill("#api-key", "sfk_0123456789ab_wrongwrongwrongwrongwrongwrongwrongwrong123");
  await page.click("#login-form button");
  await page.waitForFunction(() => document.getElementById("login-error").textContent.length > 0);
  check(await page.isVisible("#login"), "a wrong key is refused");

  await page.fill("#api-key", key);
  await page.click("#login-form button");
  await page.waitForSelector("#board:not([hidden])");
  await page.waitForFunction(() => document.body.dataset.loaded);
  check((await page.textContent("#who")).includes("viewer"), "the header names the key's principal");

  // The district's figures from grid.
  const tiles = await page.$$eval("#grid-tiles .tile", nodes =>
    Object.fromEntries(nodes.map(n => [n.querySelector(".label").textContent, n.querySelector(".figure").textContent])));
  check(Number(tiles.streets) === streets, `streets tile shows ${streets} (got ${tiles.streets})`);
  check(Number(tiles.households.replace(/,/g, "")) === households, `households tile shows ${households} (got ${tiles.households})`);
  check(await page.getAttribute("#panel-grid", "data-state") === "ready", "the grid panel is ready");
  const rows = await page.$$eval("#panel-units tr.drill", nodes => nodes.map(n => n.dataset.unit));
  check(rows.length === streets, `one row per street (${rows.length})`);
  check(await page.$$eval("#panel-units svg.chart rect", nodes => nodes.length) === streets, "a bar per street");

  // Services that are not running: their panels say so, nothing breaks.
  for (const id of ["panel-backlog", "panel-overdue", "panel-employment", "panel-volunteer", "panel-scorecard"]) {
    await page.waitForFunction(id => document.getElementById(id).dataset.state !== "loading", id);
    const state = await page.getAttribute(`#${id}`, "data-state");
    const text = await page.textContent(`#${id} .body`);
    check(state === "unavailable" && text.includes("not available"), `${id} says not available`);
  }

  // Drill down: street -> community -> zone, each with its children.
  await page.click(`#panel-units tr.drill[data-unit="${street}"]`);
  await page.waitForFunction(code => document.body.dataset.loaded === code, street);
  check((await page.textContent("#unit-title")).includes(street), "the street is shown");
  check((await page.textContent("#trail")).includes("›"), "the trail leads back to the district");
  await page.click(`#panel-units tr.drill[data-unit="${community}"]`);
  await page.waitForFunction(code => document.body.dataset.loaded === code, community);
  check((await page.textContent("#units-title")).startsWith("Zones"), "the community lists its zones");
  await page.click(`#panel-units tr.drill[data-unit="${zone}"]`);
  await page.waitForFunction(code => document.body.dataset.loaded === code, zone);
  check((await page.textContent("#units-title")).startsWith("Building groups"), "the zone lists its building groups");
  check((await page.textContent("#panel-grid")).includes("Responsible"), "the zone names who is responsible");
  await page.screenshot({ path: screenshot.replace(/\.png$/, "-zone.png"), fullPage: true });

  // Back to the district through the trail.
  await page.click("#trail a >> nth=0");
  await page.waitForFunction(() => document.body.dataset.kind === "UNIT_KIND_DISTRICT" && document.body.dataset.loaded);
  await page.waitForFunction(() => [...document.querySelectorAll(".panel")].every(p => p.dataset.state !== "loading"));
  await page.screenshot({ path: screenshot, fullPage: true });
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
} catch (error) {
  failed = true;
  console.error(`not ok - ${error.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
