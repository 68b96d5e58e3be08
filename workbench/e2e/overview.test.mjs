// 联系点与帮建总览: the appraisal office sees every leader's contact points
// and every department's pairings for the half-year the page opens on, each
// row as grid gives it (ContactPointList with no staff id, DepartmentWork-
// Counts by department) and the departments' household visits as volunteer
// counts them; a phone's width; a role without the duty gets no entry.
import { api, check, checkNoErrors, checkNoOverflow, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const local = new Date(Date.now() + 8 * 3600e3);
const year = local.getUTCFullYear(), first = local.getUTCMonth() < 6;
const at = (y, m) => Date.parse(`${y}-${String(m).padStart(2, "0")}-01T00:00:00+08:00`);
const [from, to] = first ? [at(year, 1), at(year, 7)] : [at(year, 7), at(year + 1, 1)];
const range = `from_unix_ms=${from}&to_unix_ms=${to}`;
const staff = fixture.people.department_staff;
// Something to count: civil affairs paired with the first community, the
// leader's contact point there with a visit this half-year.
async function made(body) {
  try {
    return await body();
  } catch (error) {
    if (!/\b409\b|ALREADY_EXISTS/.test(String(error))) throw error;
    return null;
  }
}
const community = fixture.district.communities[0];
const leader = fixture.people.leader;
await made(() => api("POST", "/v1/grid/pairings", { department_code: staff.department, community_code: community }));
await made(() => api("POST", "/v1/grid/responsibilities", {
  staff_id: leader.staff_id, unit_code: community, kind: "RESPONSIBILITY_KIND_LEADER_CONTACT",
}));
await api("POST", "/v1/grid/contact-visits", { staff_id: leader.staff_id, point_code: community,
  findings: "走访了解社区居民诉求" });

await run(async browser => {
  const page = await newPage(browser);
  await logIn(page, "appraisal_office");
  await page.locator('[data-test="nav-overview"]').click();
  const points = (await api("GET", `/v1/grid/contact-points?staff_id=&${range}`)).points || [];
  await page.waitForFunction(n => document.querySelector('[data-test="overview-point-figures"]').innerText.includes(`联系点 ${n} 个`),
                             points.length);
  const rows = await page.locator('[data-test="overview-points"] .el-table__body tr').count();
  check(points.length > 0 && rows === points.length, `every point as grid lists it (${rows} rows, ${points.length} points)`);
  for (const p of points.slice(0, 5)) {
    const cells = await page.locator('[data-test="overview-points"] .el-table__body tr', { hasText: p.unit_code })
      .first().locator("td").allInnerTexts();
    check(cells[2] === String(p.visits) && cells[4] === String(p.problems_open || 0)
          && cells[5] === String(p.problems_solved || 0), `point ${p.unit_code} as grid counts it (${cells.join(" | ")})`);
  }
  await screenshot(page, "overview-points");

  await page.locator(".el-tabs__item", { hasText: "帮建部门" }).click();
  const counts = (await api("GET", `/v1/grid/department-work-counts?group_by=DEPARTMENT_WORK_GROUPING_DEPARTMENT&${range}`)).counts || [];
  const households = (await api("GET", `/v1/volunteer/visit-counts?group_by=VISIT_GROUPING_DEPARTMENT&${range}`)).counts || [];
  check(counts.length > 0, `grid counts departments (${counts.length})`);
  const deptRows = page.locator('[data-test="overview-departments"] .el-table__body tr');
  await deptRows.first().waitFor();
  check(await deptRows.count() === counts.length, `every department as grid counts it (${counts.length})`);
  for (const c of counts) {
    const cells = await deptRows.filter({ hasText: c.key }).first().locator("td").allInnerTexts();
    const h = households.find(x => x.key === c.key) || { visits: 0, households: 0 };
    const pairings = Number(c.pairings || 0), visited = Number(c.communities_visited || 0);
    check(cells[1] === String(pairings) && cells[2] === String(c.visits || 0) && cells[3] === String(visited)
          && cells[4] === String(Math.max(pairings - visited, 0))
          && cells[8] === `${h.visits || 0}（${h.households || 0}）`,
          `department ${c.key} as grid and volunteer count it (${cells.join(" | ")})`);
  }
  await screenshot(page, "overview-departments");
  checkNoErrors(page, "the overview page");

  const phone = await newPage(browser, { width: 375, height: 800 });
  await logIn(phone, "appraisal_office");
  await phone.goto(fixture.gateway + "/#/overview");
  await phone.locator('[data-test="overview-points"]').waitFor();
  await checkNoOverflow(phone, "the overview at 375 px");
  await screenshot(phone, "overview-phone");

  const other = await newPage(browser);
  await logIn(other, "window_clerk");
  check(await other.locator('[data-test="nav-overview"]').count() === 0, "the window clerk has no 总览 entry");
});
