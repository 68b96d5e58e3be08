// Logging in as each role: the home page greets the person by name, lists
// their roles in Chinese and the workflows their roles reach; a wrong
// password reads the same as an unknown account; English on request; the
// login page fits a phone.
import { check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const ROLE_NAMES = { window_clerk: "窗口受理员", leader: "领导", privacy_officer: "隐私保护员" };

await run(async browser => {
  // A first load, nothing cached: how long until the page can be used, and
  // how much JavaScript it fetched (reported, not judged: a slow machine is
  // no fault of the page's).
  const first = await newPage(browser);
  const started = Date.now();
  await first.goto(fixture.gateway + "/#/login");
  await first.waitForSelector('[data-test="login-form"]');
  const interactiveMs = Date.now() - started;
  const scriptBytes = await first.evaluate(() => performance.getEntriesByType("resource")
    .filter(e => e.initiatorType === "script" || /\.js$/.test(e.name)).reduce((sum, e) => sum + e.decodedBodySize, 0));
  console.log(`measure - first load: login page usable after ${interactiveMs} ms; ${Math.round(scriptBytes / 1024)} KiB of JavaScript (uncompressed)`);
  await first.context().close();

  // A refusal: the same words whether the account exists or not.
  const page = await newPage(browser, { width: 375, height: 740 });
  await page.goto(fixture.gateway + "/#/login");
  await page.waitForSelector('[data-test="login-form"]');
  await checkNoOverflow(page, "login page at 375 px");
  await screenshot(page, "login-phone");
  const refusals = [];
  for (const [login, password] of [[fixture.people.leader.login, "wrong-Password-1"], ["nobody-here", "x"]]) {
    await page.locator(field("login")).fill(login);
    await page.locator(field("password")).fill(password);
    await page.locator('[data-test="login-submit"]').click();
    await page.waitForSelector('[data-test="login-error"]');
    refusals.push(await page.locator('[data-test="login-error"]').innerText());
  }
  check(refusals[0] === "账号或密码错误" && refusals[1] === refusals[0],
        `a wrong password and an unknown account read the same: ${refusals.join(" / ")}`);
  checkNoErrors(page, "login page");

  for (const role of Object.keys(ROLE_NAMES)) {
    const p = await newPage(browser);
    const person = await logIn(p, role);
    check((await p.locator('[data-test="user"]').innerText()).trim() === person.login,
          `${role}: the header names the person`);
    check((await p.locator(".home-role").allInnerTexts()).includes(ROLE_NAMES[role]),
          `${role}: the home page shows the role as ${ROLE_NAMES[role]}`);
    if (role === "leader") {
      await screenshot(p, "login-home");
      await p.locator('[data-test="language"]').click();
      await p.waitForFunction(() => document.documentElement.lang === "en");
      check((await p.locator(".home-role").allInnerTexts()).includes("Leader"), "English on request");
      await p.locator('[data-test="language"]').click();
    }
    await p.locator('[data-test="logout"]').click();
    await p.waitForSelector('[data-test="login-form"]');
    check(true, `${role}: logged out`);
    checkNoErrors(p, `${role}'s pages`);
    await p.context().close();
  }
});
