// The appraisal office's rules that are not a view's: the half-years a
// person chooses among (in the district's time zone), how a survey form
// becomes a SurveyResponseRecord request (answers only for a completed
// interview, unanswered optional questions left out), how a sign-off
// becomes a request (a return must say what to check), the weights' shares,
// and the ranking as CSV for a spreadsheet.
import { DISTRICT_TIME_ZONE, number } from "../../format.js";

// The half-year codes ("2026-H2") of now and the n-1 before it, newest first.
export function halfYears(nowMs = Date.now(), n = 4) {
  const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: DISTRICT_TIME_ZONE, year: "numeric", month: "2-digit" })
    .format(new Date(nowMs)).split("-").map(Number);
  let y = year, h = month > 6 ? 2 : 1;
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(`${y}-H${h}`);
    if (h === 2) h = 1;
    else { h = 2; y -= 1; }
  }
  return out;
}

export const COMPLETED = "RESPONSE_OUTCOME_COMPLETED";

// Whether a sampled household's response has been recorded (the service
// says RESPONSE_OUTCOME_UNSPECIFIED, or nothing, until then).
export function entered(household) {
  return !!household.outcome && household.outcome !== "RESPONSE_OUTCOME_UNSPECIFIED";
}

// The sample by community, then in the order drawn (the order to work
// through it: a replacement is the next draw).
export function sampleOrder(households) {
  return [...households].sort((a, b) => String(a.community_code).localeCompare(String(b.community_code))
    || (a.draw || 0) - (b.draw || 0));
}

// The question a response left unanswered though required, from the
// service's violation of "answers" ("question overall is required"); "" for
// any other.
export function requiredMissing(description) {
  const m = String(description || "").match(/^question ([a-z][a-z0-9_]*) is required$/);
  return m ? m[1] : "";
}

// A fresh answer form for a questionnaire: every question unanswered.
export function emptyAnswers(questionnaire) {
  const answers = {};
  for (const q of (questionnaire && questionnaire.questions) || []) answers[q.code] = q.kind === "QUESTION_KIND_TEXT" ? "" : null;
  return answers;
}

// The values a question takes, for the form's choices: a scale's points, yes
// (1) and no (0), a choice's 1-based index.
export function questionOptions(question) {
  if (question.kind === "QUESTION_KIND_SCALE") {
    const min = question.scale_min || 1, max = question.scale_max || 5;
    return Array.from({ length: max - min + 1 }, (_, i) => ({ value: min + i, label: String(min + i) }));
  }
  if (question.kind === "QUESTION_KIND_YES_NO") return [{ value: 1, yes: true }, { value: 0, yes: false }];
  if (question.kind === "QUESTION_KIND_CHOICE")
    return (question.choices || []).map((label, i) => ({ value: i + 1, label }));
  return [];
}

// The request body of one household's response.
export function responseRequest(round, questionnaire, form) {
  const body = {
    round_code: round.code,
    household_code: form.household_code,
    mode: form.mode,
    outcome: form.outcome,
  };
  const interviewer = String(form.interviewer || "").trim();
  if (interviewer) body.interviewer = interviewer;
  if (form.outcome !== COMPLETED) return body;
  body.answers = [];
  for (const q of (questionnaire && questionnaire.questions) || []) {
    const value = form.answers[q.code];
    if (q.kind === "QUESTION_KIND_TEXT") {
      const text = String(value || "").trim();
      if (text) body.answers.push({ question: q.code, text });
    } else if (value !== null && value !== undefined && value !== "") {
      body.answers.push({ question: q.code, value: Number(value) });
    }
  }
  return body;
}

export const APPROVE = "SIGN_OFF_DECISION_APPROVE";
export const RETURN = "SIGN_OFF_DECISION_RETURN";

// The SignOff body; { error: "note" } when a return says nothing (the
// service requires the note too; asking first keeps the dialog open).
export function signOffRequest(period, unitCode, decision, note = "") {
  const text = String(note || "").trim();
  if (decision === RETURN && !text) return { error: "note" };
  const body = { period, unit_code: unitCode, decision };
  if (text) body.note = text;
  return { body };
}

// The scheme's items with each weight's share of the whole, in percent.
export function weightShares(items) {
  const total = (items || []).reduce((sum, item) => sum + Number(item.weight || 0), 0);
  return (items || []).map(item => ({ ...item, share: total ? (100 * Number(item.weight || 0)) / total : 0 }));
}

// Streets then communities, each by rank (best first), as the ranking shows them.
export function ranking(scorecard) {
  const byRank = list => [...(list || [])].sort((a, b) => (a.rank || 0) - (b.rank || 0) || String(a.unit_code).localeCompare(b.unit_code));
  return [...byRank(scorecard && scorecard.streets), ...byRank(scorecard && scorecard.communities)];
}

function csvField(value) {
  const text = value === undefined || value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// The ranking as CSV (UTF-8 with a byte order mark, so that a spreadsheet
// reads the Chinese): one row per street and community; label(key, value)
// names the columns and the enums in the reader's language.
export function rankingCsv(scorecard, label) {
  const head = ["period", "unitKind", "unitCode", "unitName", "rank", "composite", "flag", "signOff"].map(k => label(k));
  const rows = ranking(scorecard).map(u => [
    scorecard.period, label("unitKind", u.unit_kind), u.unit_code, u.unit_name, `${u.rank}/${u.ranked}`,
    Number(u.composite || 0).toFixed(1), label("flag", u.flag || "APPRAISAL_FLAG_NONE"),
    label("signOff", u.sign_off || "SIGN_OFF_STATE_PENDING"),
  ]);
  return "\uFEFF" + [head, ...rows].map(r => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

// A flagged unit's reason as the service wrote it ("on_time_rate 40 is at or
// below threshold 60", "composite 35.0 below 60") in the reader's words;
// kpiName(code) names a KPI. Other wording is shown as written.
export function reasonText(reason, kpiName, english = false) {
  if (english) return reason;
  let m = String(reason).match(/^([a-z][a-z0-9_]*) (\S+) is at or (below|above) threshold (\S+)$/);
  if (m) return `${kpiName(m[1])} ${m[2]}，${m[3] === "below" ? "未达到" : "超过"}底线值 ${m[4]}`;
  m = String(reason).match(/^composite (\S+) below (\S+)$/);
  if (m) return `综合得分 ${m[1]}，低于关注线 ${m[2]}`;
  m = String(reason).match(/^composite (\S+) at or above (\S+)$/);
  if (m) return `综合得分 ${m[1]}，达到表彰线 ${m[2]}`;
  return reason;
}

// The 指标 tab's KPIs (issue 19's district work, then 007's rework
// figures), in this order, each shown where KpiValues has it; then any other
// KPI the period's scheme lists as an indicator (weight 0).
export const DISTRICT_WORK_KPIS = [
  "funding_to_residents", "part_time_attendance", "cobuilding_kept", "contact_problem_solved", "contact_problem_dealt",
  "department_visits_per_pairing", "department_visit_coverage", "answer_rework_rate", "answer_complaint_rate",
  "case_reopened_share",
];

export function indicatorColumns(values, scheme) {
  const present = new Set((values || []).map(v => v.kpi_code));
  const indicators = ((scheme && scheme.items) || []).filter(i => !Number(i.weight)).map(i => i.kpi_code);
  const codes = [...DISTRICT_WORK_KPIS, ...indicators.filter(c => !DISTRICT_WORK_KPIS.includes(c))];
  return codes.filter(c => present.has(c)).map(code => ({ code, indicator: indicators.includes(code) }));
}

// One row a unit (by code), its values by KPI code.
export function indicatorRows(values) {
  const byUnit = new Map();
  for (const v of values || []) {
    if (!byUnit.has(v.unit_code)) byUnit.set(v.unit_code, { unit_code: v.unit_code, unit_name: v.unit_name, values: {} });
    byUnit.get(v.unit_code).values[v.kpi_code] = v;
  }
  return [...byUnit.values()].sort((a, b) => a.unit_code.localeCompare(b.unit_code));
}

// A cell: the value (two decimals at most) and what it is made of
// (numerator / denominator); "–" where the denominator is 0.
export function indicatorCell(value) {
  if (!value) return { value: "–", parts: "" };
  const n = x => number(Number(x || 0), 2);
  return { value: value.has_value ? n(value.value) : "–", parts: `${n(value.numerator)} / ${n(value.denominator)}` };
}
