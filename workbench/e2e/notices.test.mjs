// Workflow: my notices, and the case page's follow-through (follow, issue
// 18). Intake tells the community's staff member of a case assigned to
// her, of the case she registered going overdue and escalated, and of a
// case reopened after an unsatisfactory return visit (零误差); the frame's
// badge and the inbox show what intake's NoticeList says for her session,
// unread first; marking read and opening a notice land in intake; on the
// case page she follows up the overdue case she registered (首问负责: weeks
// after its deadline, and the card says so) and a street cadre supervises
// it (督办): each step lands in intake
// and reads in the history.
import { api, check, checkNoErrors, checkNoOverflow, field, fixture, logIn, newPage, run, screenshot } from "./lib.mjs";

const d = fixture.district;
const getCase = id => api("GET", `/v1/intake/cases/${id}`);
function submission(household, item, extra = {}) {
  return { channel: "CASE_CHANNEL_WEBSITE", item_code: item, description: `notices e2e ${item} ${household}`,
    requester: { kind: "REQUESTER_KIND_RESIDENT", household_code: household, name: "住户", phone: "13941000222" },
    ...extra };
}
const assign = (id, staff) => api("POST", `/v1/intake/cases/${id}/assign`,
  { ref: { id }, assignee: { kind: "ASSIGNEE_KIND_STAFF", code: staff }, note: "e2e: 派给社区工作人员" });
// The person's own inbox, asked with the page's session.
const inboxOf = page => page.evaluate(async () => (await fetch("/v1/intake/notices?page_size=100")).json());

async function followStep(page, name, note) {
  await page.locator(`[data-test="follow-${name}"]`).click();
  await page.waitForSelector(`[data-test="follow-form-${name}"]`);
  await page.locator(field("follow-note")).fill(note);
  await page.locator('[data-test="follow-submit"]').click();
  await page.waitForSelector('[data-test="follow-done"]');
}

await run(async browser => {
  const community = fixture.people.community_staff;
  const households = d.households[0];   // the first zone, in her community and the cadre's street
  // A case assigned to her; one she registered 40 days ago (past due); one
  // assigned to her that the return visit sends back for rework.
  const fresh = await api("POST", "/v1/intake/cases", submission(households[7], "dispute-mediation"));
  await assign(fresh.id, community.staff_id);
  const old = await api("POST", "/v1/intake/cases", submission(households[5], "elderly-allowance",
    { channel: "CASE_CHANNEL_WINDOW", imported: { at_unix_ms: Date.now() - 40 * 86400000, actor_id: community.staff_id } }));
  await api("POST", "/v1/intake/sweep", {});
  const overdue = await getCase(old.id);
  check(overdue.overdue && Number(overdue.missed_unix_ms) > 0, `the sweep marks ${overdue.registration_number} overdue`);
  const redo = await api("POST", "/v1/intake/cases", submission(households[4], "dispute-mediation"));
  await assign(redo.id, community.staff_id);
  await api("POST", `/v1/intake/cases/${redo.id}/resolve`, { ref: { id: redo.id }, resolution: "已调解" });
  const reopened = await api("POST", `/v1/intake/cases/${redo.id}/close`,
    { ref: { id: redo.id }, satisfaction: 2, note: "居民不认可调解结果" });
  check(reopened.status === "CASE_STATUS_IN_PROGRESS" && reopened.rework_count === 1,
        `a return visit of 2 reopens ${reopened.registration_number} for rework (${reopened.status})`);

  const page = await newPage(browser);
  await logIn(page, "community_staff");
  let inbox = await inboxOf(page);
  const kinds = new Set((inbox.notices || []).filter(n => [fresh.id, old.id, redo.id].includes(n.case_id)).map(n => n.kind));
  check(kinds.has("NOTICE_KIND_ASSIGNED") && kinds.has("NOTICE_KIND_REOPENED")
        && (kinds.has("NOTICE_KIND_OVERDUE") || kinds.has("NOTICE_KIND_ESCALATED")),
        `intake told her: ${[...kinds].join(", ")}`);
  const unread = Number(inbox.unread);
  await page.waitForFunction(n => document.querySelector('[data-test="notice-badge"] sup')?.innerText.trim()
    === (n > 99 ? "99+" : String(n)), unread, { timeout: 10000 }).catch(() => {});
  const badge = (await page.locator('[data-test="notice-badge"] sup').innerText()).trim();
  check(badge === (unread > 99 ? "99+" : String(unread)), `the frame's badge shows ${badge} unread (intake: ${unread})`);

  await page.locator('[data-test="nav-notices"]').click();
  await page.waitForSelector('[data-test="notices-list"] li');
  const shown = await page.locator('[data-test="notices-list"] li').count();
  check(shown === Math.min(20, inbox.notices.length), `the inbox shows a page of ${shown}`);
  const first = inbox.notices[0];
  // Said in Chinese from the notice's fields: the case's number, the step
  // (as the case page names it), the item's Chinese name; intake's text is
  // in both languages for phones and event followers.
  const STEPS = { CASE_ACTION_REOPENED: "回访不满意，重新办理", CASE_ACTION_ASSIGNED: "派给承办", CASE_ACTION_ACCEPTED: "受理登记",
    CASE_ACTION_OVERDUE: "超期，上报社区", CASE_ACTION_STAGE_LATE: "环节超时", CASE_ACTION_REMINDED: "催办" };
  const itemZh = first.text.split("：")[1].split(" ")[0];
  const firstLine = (await page.locator(`[data-test="notice-text-${first.id}"]`).innerText()).trim();
  check(firstLine.startsWith(`${first.registration_number} ${STEPS[first.action]}：${itemZh}`)
        && !firstLine.includes(" reopened for rework") && !firstLine.includes(" new case assigned"),
        `the newest unread first, in Chinese: ${firstLine} (intake: ${first.text})`);
  check((await page.locator('[data-test="notices-unread"]').innerText()).includes(String(unread)), `未读 ${unread} 条`);
  await screenshot(page, "notices-inbox");

  // Marked read: intake has one fewer unread, the badge follows.
  await page.locator(`[data-test="notice-read-${first.id}"]`).click();
  await page.waitForFunction(id => !document.querySelector(`[data-test="notice-read-${id}"]`), first.id);
  inbox = await inboxOf(page);
  check(Number(inbox.unread) === unread - 1 && inbox.notices.find(n => n.id === first.id).read,
        `marked read in intake (${inbox.unread} unread)`);
  check((await page.locator('[data-test="notice-badge"] sup').innerText()).trim() === String(unread - 1),
        "the badge counts one fewer");

  // The reopened case's notice opens the case: its follow-through card.
  const rework = inbox.notices.find(n => n.case_id === redo.id && n.kind === "NOTICE_KIND_REOPENED");
  await page.locator(`[data-test="notice-open-${rework.id}"]`).click();
  await page.waitForSelector('[data-test="follow-card"]');
  check((await page.locator('[data-test="follow-rework"]').innerText()).trim() === "1", "the case page: reworked once");
  check((await inboxOf(page)).notices.find(n => n.id === rework.id).read, "opening a notice marks it read");

  // 首问负责: she registered the overdue case and follows it up.
  await page.goto(`${fixture.gateway}/#/cases/${old.id}`);
  await page.waitForSelector('[data-test="follow-card"]');
  check((await page.locator('[data-test="follow-followed-up"]').innerText()).trim() === "尚未跟进", "not yet followed up");
  await followStep(page, "followUp", "已电话告知居民办理进度");
  // Its deadline passed weeks ago: recorded, and not within a working day of the miss.
  const followed = await getCase(old.id);
  check(Number(followed.followed_up_unix_ms) > 0 && followed.followed_up_in_time === false
        && followed.missed_unix_ms === followed.due_unix_ms,
        "intake: followed up, weeks after the deadline it missed (not in time)");
  await page.waitForFunction(() => document.querySelector('[data-test="follow-followed-up"]')?.innerText.trim()
    === "未在一个工作日内跟进");
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test="history-action"]')]
    .some(e => e.innerText.trim() === "首问跟进"));
  await screenshot(page, "notices-follow-up");
  await checkNoOverflow(page, "the case page with its follow-through");
  checkNoErrors(page, "the inbox and the case page");

  // The street's cadre supervises the overdue case (督办).
  const street = await newPage(browser);
  await logIn(street, "street_staff");
  await street.goto(`${fixture.gateway}/#/cases/${old.id}`);
  await street.waitForSelector('[data-test="follow-supervise"]');
  await followStep(street, "supervise", "超期未办结，请于明日前办结");
  const supervised = await getCase(old.id);
  check(supervised.supervision_level === 2, `intake: supervised (level ${supervised.supervision_level})`);
  await street.waitForFunction(() => document.querySelector('[data-test="follow-supervision"]')?.innerText.includes("已督办"));
  await street.waitForFunction(() => [...document.querySelectorAll('[data-test="history-action"]')]
    .some(e => e.innerText.trim() === "督办"));
  await screenshot(street, "notices-supervised");
  checkNoErrors(street, "the street's case page");

  // In English, on a phone.
  const phone = await newPage(browser, { width: 375, height: 740 });
  await logIn(phone, "community_staff");
  // The header keeps the signed-in name whole (the title gives way), in Chinese and in English.
  const nameCut = () => phone.locator('[data-test="user"]').evaluate(e => e.scrollWidth > e.clientWidth);
  check(!(await nameCut()) && (await phone.locator('[data-test="user"]').innerText()).trim() === community.login,
        `at 375 px the header shows ${community.login} whole`);
  await phone.locator('[data-test="language"]').click();
  await phone.goto(`${fixture.gateway}/#/notices`);
  await phone.waitForSelector('[data-test="notices-list"] li');
  check(!(await nameCut()), "and in English, beside the longer title");
  await checkNoOverflow(phone, "the inbox at 375 px");
  await screenshot(phone, "notices-inbox-phone-en");
  checkNoErrors(phone, "the inbox on a phone");
});
