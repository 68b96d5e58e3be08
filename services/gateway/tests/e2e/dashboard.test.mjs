// Drives the dashboard in Debian's headless Chromium as a person would: the
// key form, the district's figures from every service, the drill-down
// street -> community -> zone and back, no script errors; keeps a
// screenshot. Run by dashboard_e2e_test (tests/dashboard) with GATEWAY_URL,
// API_KEY, SCREENSHOT, MODE and the EXPECT_* figures in the environment.
//
// MODE=full: every service runs; each panel must be ready with the figures
// the test loaded. MODE=degraded: the services named in EXPECT_DOWN are
// stopped; their panels must say "not available" and the others still work.
import { chromium } from "playwright-core";

const env = process.env;
const url = env.GATEWAY_URL;
const key = env.API_KEY;
const screenshot = env.SCREENSHOT;
const mode = env.MODE || "full";
const number = name => Number(env[name]);
const down = new Set((env.EXPECT_DOWN || "").split(/\s+/).filter(Boolean));

// The panels each service feeds.
const PANELS = {
  intake: ["panel-backlog", "panel-overdue"],
  employment: ["panel-employment"],
  volunteer: ["panel-volunteer"],
  evaluation: ["panel-scorecard"],
};

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

const figure = text => Number(String(text).replace(/,/g, ""));

// The tiles of a panel as {label: figure}.
async function tiles(page, selector) {
  return page.$$eval(`${selector} .tile`, nodes =>
    Object.fromEntries(nodes.map(n => [n.querySelector(".label").textContent, n.querySelector(".figure").textContent])));
}

async function settled(page) {
  await page.waitForFunction(() => document.body.dataset.loaded
    && [...document.querySelectorAll(".panel")].every(p => p.dataset.state !== "loading"));
}

async function checkFullDistrict(page) {
  const grid = await tiles(page, "#grid-tiles");
  check(figure(grid.streets) === number("EXPECT_STREETS"), `streets tile shows ${env.EXPECT_STREETS} (got ${grid.streets})`);
  check(figure(grid.households) === number("EXPECT_HOUSEHOLDS"),
        `households tile shows ${env.EXPECT_HOUSEHOLDS} (got ${grid.households})`);
  for (const id of ["panel-grid", "panel-units", "panel-backlog", "panel-overdue", "panel-employment",
                    "panel-volunteer", "panel-scorecard"]) {
    const state = await page.getAttribute(`#${id}`, "data-state");
    check(state === "ready", `${id} is ready (${state}: ${state === "ready" ? "" : await page.textContent(`#${id} .body`)})`);
  }

  // Per street: households, open and overdue cases, volunteers.
  const rows = await page.$$eval("#panel-units tr.drill", nodes => nodes.map(n => ({
    unit: n.dataset.unit, cells: [...n.querySelectorAll("td")].map(td => td.textContent) })));
  check(rows.length === number("EXPECT_STREETS"), `one row per street (${rows.length})`);
  check(await page.$$eval("#panel-units svg.chart rect", nodes => nodes.length) === number("EXPECT_STREETS"),
        "a bar per street");
  const street = rows.find(r => r.unit === env.EXPECT_STREET);
  // Columns: name, code, households, in difficulty, open cases, overdue, volunteers.
  check(street && figure(street.cells[4]) === number("EXPECT_STREET_OPEN"),
        `${env.EXPECT_STREET} has ${env.EXPECT_STREET_OPEN} open cases (${street?.cells[4]})`);
  check(street && figure(street.cells[6]) === number("EXPECT_STREET_VOLUNTEERS"),
        `${env.EXPECT_STREET} has ${env.EXPECT_STREET_VOLUNTEERS} volunteers (${street?.cells[6]})`);

  const backlog = await tiles(page, "#panel-backlog");
  check(figure(backlog["open cases"]) === number("EXPECT_OPEN"), `open cases tile shows ${env.EXPECT_OPEN} (${backlog["open cases"]})`);
  check(figure(backlog.overdue) === number("EXPECT_OVERDUE"), `overdue tile shows ${env.EXPECT_OVERDUE} (${backlog.overdue})`);
  check(await page.$$eval("#panel-backlog svg.chart", nodes => nodes.length) === 1, "backlog is charted per street");
  const overdueRows = await page.$$eval("#panel-overdue tr", nodes => nodes.length - 1);
  check(overdueRows === number("EXPECT_OVERDUE"), `the overdue list has ${env.EXPECT_OVERDUE} cases (${overdueRows})`);

  const employment = await tiles(page, "#panel-employment");
  const placed = Object.entries(employment).find(([label]) => label.startsWith("people placed"));
  check(placed && figure(placed[1]) === number("EXPECT_PLACED"), `people placed shows ${env.EXPECT_PLACED} (${placed?.[1]})`);

  const volunteer = await tiles(page, "#panel-volunteer");
  check(figure(volunteer.volunteers) === number("EXPECT_VOLUNTEERS"),
        `volunteers tile shows ${env.EXPECT_VOLUNTEERS} (${volunteer.volunteers})`);
  check(figure(volunteer["approved hours"]) === number("EXPECT_HOURS"),
        `approved hours shows ${env.EXPECT_HOURS} (${volunteer["approved hours"]})`);

  const scorecard = await page.textContent("#panel-scorecard");
  check(scorecard.includes(env.EXPECT_PERIOD), `the scorecard is the one of ${env.EXPECT_PERIOD}`);
  const scores = await tiles(page, "#panel-scorecard");
  check(Number.isFinite(figure(scores["district composite"])), `a district composite (${scores["district composite"]})`);
  check(figure(scores["on-time rate"]) === number("EXPECT_ON_TIME"),
        `on-time rate shows ${env.EXPECT_ON_TIME} (${scores["on-time rate"]})`);
  check(await page.$$eval("#panel-scorecard tr", nodes => nodes.length - 1) === number("EXPECT_STREETS"),
        "every street is ranked");
}

async function checkDegraded(page) {
  for (const [service, ids] of Object.entries(PANELS))
    for (const id of ids) {
      const state = await page.getAttribute(`#${id}`, "data-state");
      const text = await page.textContent(`#${id} .body`);
      if (down.has(service))
        check(state === "unavailable" && text.includes("not available"), `${id} says not available (${service} is down)`);
      else
        check(state === "ready", `${id} still works (${service} is up)`);
    }
  check(await page.getAttribute("#panel-grid", "data-state") === "ready", "the grid panel still works");
}

// An empty profile directory of the test's own (playwright passes it to
// Chromium as --user-data-dir).
const browser = await chromium.launchPersistentContext(env.USER_DATA_DIR, {
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
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
  await settled(page);
  check((await page.textContent("#who")).includes("viewer"), "the header names the key's principal");

  if (mode === "degraded") {
    await checkDegraded(page);
    await page.screenshot({ path: screenshot, fullPage: true });
  } else {
    await checkFullDistrict(page);
    await page.screenshot({ path: screenshot, fullPage: true });

    // Drill down: street -> community -> zone, each with its children.
    await page.click(`#panel-units tr.drill[data-unit="${env.EXPECT_STREET}"]`);
    await page.waitForFunction(code => document.body.dataset.loaded === code, env.EXPECT_STREET);
    check((await page.textContent("#unit-title")).includes(env.EXPECT_STREET), "the street is shown");
    check((await page.textContent("#trail")).includes("›"), "the trail leads back to the district");
    await settled(page);
    check(figure((await tiles(page, "#panel-backlog"))["open cases"]) === number("EXPECT_STREET_OPEN"),
          "the street's backlog is its own");
    await page.click(`#panel-units tr.drill[data-unit="${env.EXPECT_COMMUNITY}"]`);
    await page.waitForFunction(code => document.body.dataset.loaded === code, env.EXPECT_COMMUNITY);
    check((await page.textContent("#units-title")).startsWith("Zones"), "the community lists its zones");
    await page.click(`#panel-units tr.drill[data-unit="${env.EXPECT_ZONE}"]`);
    await page.waitForFunction(code => document.body.dataset.loaded === code, env.EXPECT_ZONE);
    check((await page.textContent("#units-title")).startsWith("Building groups"), "the zone lists its building groups");
    check((await page.textContent("#panel-grid")).includes("Responsible"), "the zone names who is responsible");
    await settled(page);
    await page.screenshot({ path: screenshot.replace(/\.png$/, "-zone.png"), fullPage: true });

    // Back to the district through the trail.
    await page.click("#trail a >> nth=0");
    await page.waitForFunction(() => document.body.dataset.kind === "UNIT_KIND_DISTRICT" && document.body.dataset.loaded);
    await settled(page);
    check(await page.getAttribute("#panel-scorecard", "data-state") === "ready", "back at the district, all is there");
  }
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
} catch (error) {
  failed = true;
  console.error(`not ok - ${error.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
