// One registration, all services: at the window the clerk registers a
// 就业失业登记 and fills the registration's own fields (the person from
// grid's resident, the ID number from the card, the labour status); intake
// refuses a number whose birth date is not the one written down, beside the
// field. Once the case is resolved employment registers the person, and
// the case page links to the person; a resident past working age comes
// back refused, the case page saying employment's reason and the case back
// in progress.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const text = async (page, test) => (await page.locator(`[data-test="${test}"]`).first().innerText()).trim();

// GB 11643: the area, the birth date, a sequence whose last digit is odd
// for a man, and the check character.
function idNumber(birth, sequence) {
  const digits = `370203${birth.replaceAll("-", "")}${String(sequence).padStart(3, "0")}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...digits].reduce((s, c, i) => s + Number(c) * weights[i], 0);
  return digits + "10X98765432"[sum % 11];
}

async function waitFor(id, state) {
  for (let i = 0; i < 100; i++) {
    const c = await api("GET", `/v1/intake/cases/${id}`);
    if (c.registration && c.registration.state === state) return c;
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  throw new Error(`case ${id}: registration never ${state}`);
}

async function register(page, number, labor) {
  await page.locator('[data-test="clerk-by-id"]').click();
  await page.locator(field("clerk-search")).fill(number);
  await page.locator('[data-test="clerk-find"]').click();
  await page.waitForSelector('[data-test="clerk-chosen-household"]');
  await page.locator('[data-test="clerk-item"]').click();
  await page.locator(".el-select-dropdown__item", { hasText: "就业失业登记" }).click();
  await page.waitForSelector('[data-test="registration-fields"]');
  await page.locator(field("registration-id-number")).fill(number);
  await page.locator('[data-test="registration-labor-status"]').click();
  await page.locator(`[data-test="registration-labor-${labor}"]`).click();
  await page.locator(field("clerk-phone")).fill("13912345678");
  await page.locator(field("clerk-description")).fill("办理失业登记，申请求职服务");
}

await run(async browser => {
  // A resident of working age in the clerk's first household (grid takes
  // his birth date and sex from the number).
  const birth = "1979-04-12";
  const number = idNumber(birth, 517);
  const resident = await api("POST", "/v1/grid/residents", { household_code: d.households[0][3], name: "郑国栋",
    id_number: number, relation: "son" });
  const page = await newPage(browser);
  await logIn(page, "window_clerk");
  await page.locator('[data-test="nav-clerk"]').click();
  await page.waitForSelector('[data-test="clerk-form"]');
  await register(page, number, "LABOR_STATUS_UNEMPLOYED");
  check(await page.locator(field("registration-name")).inputValue() === "郑国栋", "the registration's name from grid");
  check(await page.locator(field("registration-birth-date")).inputValue() === birth,
        `the registration's birth date from the ID number typed (${birth})`);
  check(await page.locator('[data-test="registration-gender-male"] input').isChecked(),
        "the sex from the ID number: male");
  check(/就业服务/.test(await text(page, "registration-owner")), "the form says employment registers it once resolved");

  // A birth date the number does not hold: refused beside the field, kept.
  await page.locator(field("registration-birth-date")).fill("1979-04-13");
  await page.locator('[data-test="clerk-submit"]').click();
  await page.waitForSelector(".el-form-item__error");
  const refusal = (await page.locator(".el-form-item__error").first().innerText()).trim();
  check(/1979-04-12/.test(refusal), `a birth date not the number's refused beside the field: ${refusal}`);
  await screenshot(page, "registration-form");
  await page.locator(field("registration-birth-date")).fill(birth);
  await page.locator('[data-test="clerk-submit"]').click();
  await page.waitForSelector('[data-test="clerk-receipt"]');
  const saved = await api("GET", `/v1/intake/case-numbers/${encodeURIComponent(await text(page, "receipt-number"))}`);
  const r = saved.registration;
  check(r && r.kind === "CASE_REGISTRATION_KIND_EMPLOYMENT" && r.resident_id === resident.id && r.name === "郑国栋"
        && r.birth_date === birth && r.gender === "GENDER_MALE" && r.labor_status === "LABOR_STATUS_UNEMPLOYED"
        && r.seeking_work === true && r.household_code === d.households[0][3] && r.id_number === ""
        && r.id_number_masked === `${number.slice(0, 6)}********${number.slice(14)}`
        && r.state === "CASE_REGISTRATION_STATE_WAITING",
        `intake holds the registration as typed, the number only masked (${r && r.id_number_masked})`);
  check(!(await page.content()).includes(number), "the whole ID number is nowhere on the page once registered");

  // Resolved (办结 is the approval): employment registers him; the case
  // page links to the person.
  await api("POST", `/v1/intake/cases/${saved.id}/resolve`, { resolution: "材料齐全，准予登记" });
  const linked = await waitFor(saved.id, "CASE_REGISTRATION_STATE_LINKED");
  const person = await api("GET", `/v1/employment/persons/${resident.id}`);
  check(person.name === r.name && person.birth_date === r.birth_date && person.gender === r.gender
        && person.household_code === r.household_code && person.status === r.labor_status
        && person.seeking_work === r.seeking_work && linked.registration.linked_id === resident.id,
        `employment's person is the case's registration (${person.resident_id})`);
  await page.goto(`${fixture.gateway}/#/cases/${saved.id}`);
  await page.waitForSelector('[data-test="case-registration"]');
  check(await text(page, "case-registration-state") === "已登记", "the case page: registered");
  check(await text(page, "case-registration-link") === resident.id, `the case page links to the person ${resident.id}`);
  check(await page.locator('[data-test="case-registration-link"]').getAttribute("href")
        === `#/employment/persons/${resident.id}`, "the link opens employment's person page");
  check(/新登记/.test(await text(page, "case-registration-created")), "the case page: registered now");
  check((await page.content()).includes(`就业服务已登记人员 ${resident.id}`) && (await page.content()).includes("登记已办妥"),
        "the history says the step in Chinese: 登记已办妥, 就业服务已登记人员");
  await screenshot(page, "registration-linked");

  // A resident past working age: employment refuses, the case comes back.
  await page.goto(`${fixture.gateway}/#/clerk`);
  await page.waitForSelector('[data-test="clerk-form"]');
  await register(page, d.id_numbers[0][2], "LABOR_STATUS_UNEMPLOYED");
  await page.locator('[data-test="clerk-submit"]').click();
  await page.waitForSelector('[data-test="clerk-receipt"]');
  const old = await api("GET", `/v1/intake/case-numbers/${encodeURIComponent(await text(page, "receipt-number"))}`);
  await api("POST", `/v1/intake/cases/${old.id}/resolve`, { resolution: "材料齐全，准予登记" });
  const refused = await waitFor(old.id, "CASE_REGISTRATION_STATE_REFUSED");
  check(refused.status === "CASE_STATUS_IN_PROGRESS" && /working age/.test(refused.registration.refusal),
        `employment's refusal on the case, back in progress: ${refused.registration.refusal}`);
  await page.goto(`${fixture.gateway}/#/cases/${old.id}`);
  await page.waitForSelector('[data-test="case-registration-refusal"]');
  check(await text(page, "case-registration-state") === "被退回", "the case page: refused");
  check(await text(page, "case-registration-refusal") === refused.registration.refusal,
        "the case page says employment's reason");
  check((await page.content()).includes(`就业服务退回登记：${refused.registration.refusal}`),
        "the history says who refused it and why");
  await screenshot(page, "registration-refused");
  checkNoErrors(page, "the registration pages");

  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "window_clerk");
  await phone.goto(`${fixture.gateway}/#/cases/${saved.id}`);
  await phone.waitForSelector('[data-test="case-registration"]');
  await checkNoOverflow(phone, "the case's registration at 375 px");
  await screenshot(phone, "registration-phone");
});
