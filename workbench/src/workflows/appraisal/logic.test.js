// The appraisal office's pure rules: half-years in the district's time zone,
// survey responses, sign-off requests, weight shares, the ranking as CSV.
import { describe, expect, it } from "vitest";
import { APPROVE, COMPLETED, reasonText, requiredMissing, entered, sampleOrder, emptyAnswers, halfYears, questionOptions, ranking, rankingCsv, responseRequest, RETURN,
  signOffRequest, weightShares, indicatorCell, indicatorColumns, indicatorRows } from "./logic.js";

const questionnaire = {
  code: "household_survey",
  questions: [
    { code: "overall", kind: "QUESTION_KIND_SCALE", scale_min: 1, scale_max: 5, required: true, satisfaction: true },
    { code: "cadre_known", kind: "QUESTION_KIND_YES_NO" },
    { code: "channel", kind: "QUESTION_KIND_CHOICE", choices: ["窗口", "热线"] },
    { code: "comment", kind: "QUESTION_KIND_TEXT" },
  ],
};

describe("halfYears", () => {
  it("counts back from the district's half-year", () => {
    // 2026-06-30 17:00 UTC is already 1 July in Shanghai.
    expect(halfYears(Date.UTC(2026, 5, 30, 17), 3)).toEqual(["2026-H2", "2026-H1", "2025-H2"]);
    expect(halfYears(Date.UTC(2026, 0, 10), 2)).toEqual(["2026-H1", "2025-H2"]);
  });
});

describe("survey responses", () => {
  it("tells entered households from those still to do, in the order drawn", () => {
    expect(entered({ outcome: "RESPONSE_OUTCOME_UNSPECIFIED" })).toBe(false);
    expect(entered({})).toBe(false);
    expect(entered({ outcome: "RESPONSE_OUTCOME_REFUSED" })).toBe(true);
    const sample = [{ household_code: "c", community_code: "2", draw: 1 }, { household_code: "b", community_code: "1", draw: 2 },
      { household_code: "a", community_code: "1", draw: 1 }];
    expect(sampleOrder(sample).map(h => h.household_code)).toEqual(["a", "b", "c"]);
  });
  it("reads which required question the service found unanswered", () => {
    expect(requiredMissing("question overall is required")).toBe("overall");
    expect(requiredMissing("must be 1 to 5")).toBe("");
    expect(requiredMissing(undefined)).toBe("");
  });
  it("starts unanswered", () => {
    expect(emptyAnswers(questionnaire)).toEqual({ overall: null, cadre_known: null, channel: null, comment: "" });
  });
  it("offers each kind's values", () => {
    expect(questionOptions(questionnaire.questions[0]).map(o => o.value)).toEqual([1, 2, 3, 4, 5]);
    expect(questionOptions(questionnaire.questions[1]).map(o => o.value)).toEqual([1, 0]);
    expect(questionOptions(questionnaire.questions[2])).toEqual([{ value: 1, label: "窗口" }, { value: 2, label: "热线" }]);
  });
  it("sends the answers given, numbers as numbers, text trimmed", () => {
    const form = { household_code: "370205001001001001", mode: "SURVEY_MODE_PHONE", outcome: COMPLETED,
      interviewer: " S00042 ", answers: { overall: 4, cadre_known: 0, channel: null, comment: " 很好 " } };
    expect(responseRequest({ code: "r1" }, questionnaire, form)).toEqual({
      round_code: "r1", household_code: "370205001001001001", mode: "SURVEY_MODE_PHONE", outcome: COMPLETED,
      interviewer: "S00042",
      answers: [{ question: "overall", value: 4 }, { question: "cadre_known", value: 0 }, { question: "comment", text: "很好" }],
    });
  });
  it("sends no answers for a refusal", () => {
    const form = { household_code: "h", mode: "SURVEY_MODE_HOUSEHOLD", outcome: "RESPONSE_OUTCOME_REFUSED",
      interviewer: "", answers: { overall: 5 } };
    expect(responseRequest({ code: "r1" }, questionnaire, form)).toEqual({
      round_code: "r1", household_code: "h", mode: "SURVEY_MODE_HOUSEHOLD", outcome: "RESPONSE_OUTCOME_REFUSED",
    });
  });
});

describe("sign-off", () => {
  it("approves without a note and returns only with one", () => {
    expect(signOffRequest("2026-H1", "370205001", APPROVE)).toEqual({
      body: { period: "2026-H1", unit_code: "370205001", decision: APPROVE },
    });
    expect(signOffRequest("2026-H1", "370205001", RETURN, " ")).toEqual({ error: "note" });
    expect(signOffRequest("2026-H1", "370205001", RETURN, "核实办结率")).toEqual({
      body: { period: "2026-H1", unit_code: "370205001", decision: RETURN, note: "核实办结率" },
    });
  });
});

describe("scorecard", () => {
  const scorecard = {
    period: "2026-H1",
    streets: [{ unit_code: "2", unit_name: "乙街道", unit_kind: "UNIT_KIND_STREET", rank: 2, ranked: 2, composite: 50 },
      { unit_code: "1", unit_name: "甲街道", unit_kind: "UNIT_KIND_STREET", rank: 1, ranked: 2, composite: 80.26,
        flag: "APPRAISAL_FLAG_COMMENDATION", sign_off: "SIGN_OFF_STATE_APPROVED" }],
    communities: [{ unit_code: "11", unit_name: "社区,一", unit_kind: "UNIT_KIND_COMMUNITY", rank: 1, ranked: 1, composite: 0 }],
  };
  it("shares the weights", () => {
    expect(weightShares([{ weight: 3 }, { weight: 1 }]).map(i => i.share)).toEqual([75, 25]);
    expect(weightShares([])).toEqual([]);
  });
  it("ranks streets then communities, best first", () => {
    expect(ranking(scorecard).map(u => u.unit_code)).toEqual(["1", "2", "11"]);
  });
  it("writes the ranking as CSV with the labels given", () => {
    const label = (key, value) => (value === undefined ? key : `${key}:${value}`);
    expect(rankingCsv(scorecard, label)).toBe("\uFEFF" + [
      "period,unitKind,unitCode,unitName,rank,composite,flag,signOff",
      "2026-H1,unitKind:UNIT_KIND_STREET,1,甲街道,1/2,80.3,flag:APPRAISAL_FLAG_COMMENDATION,signOff:SIGN_OFF_STATE_APPROVED",
      "2026-H1,unitKind:UNIT_KIND_STREET,2,乙街道,2/2,50.0,flag:APPRAISAL_FLAG_NONE,signOff:SIGN_OFF_STATE_PENDING",
      '2026-H1,unitKind:UNIT_KIND_COMMUNITY,11,"社区,一",1/1,0.0,flag:APPRAISAL_FLAG_NONE,signOff:SIGN_OFF_STATE_PENDING',
    ].join("\r\n") + "\r\n");
  });
});

describe("reasonText", () => {
  const name = code => ({ on_time_rate: "按时办结率", backlog: "超期积压件" })[code] || code;
  it("says the service's reasons in Chinese", () => {
    expect(reasonText("on_time_rate 40 is at or below threshold 60", name)).toBe("按时办结率 40，未达到底线值 60");
    expect(reasonText("backlog 12 is at or above threshold 10", name)).toBe("超期积压件 12，超过底线值 10");
    expect(reasonText("composite 35.0 below 60", name)).toBe("综合得分 35.0，低于关注线 60");
    expect(reasonText("composite 92.5 at or above 90", name)).toBe("综合得分 92.5，达到表彰线 90");
  });
  it("leaves other wording, and English, as written", () => {
    expect(reasonText("something new", name)).toBe("something new");
    expect(reasonText("composite 35.0 below 60", name, true)).toBe("composite 35.0 below 60");
  });
});

describe("indicators (指标)", () => {
  const values = [
    { kpi_code: "contact_problem_solved", unit_code: "370205002", unit_name: "二街道", has_value: true, value: 33.3333,
      numerator: 1, denominator: 3 },
    { kpi_code: "contact_problem_solved", unit_code: "370205001", unit_name: "一街道", has_value: false, numerator: 0,
      denominator: 0 },
    { kpi_code: "funding_to_residents", unit_code: "370205001", unit_name: "一街道", has_value: true, value: 62.5,
      numerator: 1250000, denominator: 2000000 },
    { kpi_code: "households_count", unit_code: "370205001", unit_name: "一街道", has_value: true, value: 40 },
    { kpi_code: "pairing_coverage", unit_code: "370205001", unit_name: "一街道", has_value: true, value: 90 },
  ];
  it("shows the district work KPIs in order, then the scheme's own indicators, only those with values", () => {
    const scheme = { items: [{ kpi_code: "survey_satisfaction", weight: 2 }, { kpi_code: "pairing_coverage", weight: 0 },
      { kpi_code: "contact_problem_solved", weight: 0 }] };
    expect(indicatorColumns(values, scheme)).toEqual([
      { code: "funding_to_residents", indicator: false }, { code: "contact_problem_solved", indicator: true },
      { code: "pairing_coverage", indicator: true },
    ]);
    expect(indicatorColumns(values, null).map(c => c.code)).toEqual(["funding_to_residents", "contact_problem_solved"]);
  });
  it("makes a row a unit, by code", () => {
    const rows = indicatorRows(values);
    expect(rows.map(r => r.unit_code)).toEqual(["370205001", "370205002"]);
    expect(rows[0].values.funding_to_residents.value).toBe(62.5);
  });
  it("writes a value with what it is made of, and – without a denominator", () => {
    expect(indicatorCell(values[0])).toEqual({ value: "33.33", parts: "1 / 3" });
    expect(indicatorCell(values[1])).toEqual({ value: "–", parts: "0 / 0" });
    expect(indicatorCell(undefined)).toEqual({ value: "–", parts: "" });
  });
});
