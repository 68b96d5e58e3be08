// The people workflow's rules that are not a view's: which roles manage a
// team (the service's EVAL_ROLES_TEAM for people), the figures of a person
// as the rows the page shows (window work, zone work), the requests a
// report, a grade and an award become, and a grade's or outcome's tag.

export const TEAM_ROLES = ["community_staff", "street_staff", "appraisal_office", "leader"];
export const GRADE_ROLES = ["community_staff", "street_staff", "appraisal_office"];
export const GRADES = ["APPRAISAL_GRADE_EXCELLENT", "APPRAISAL_GRADE_COMPETENT", "APPRAISAL_GRADE_BASIC",
  "APPRAISAL_GRADE_INCOMPETENT"];
export const AWARDED = "AWARD_OUTCOME_AWARDED";
export const NOT_AWARDED = "AWARD_OUTCOME_NOT_AWARDED";

const n = value => Number(value || 0);

// What a share or mean is taken over: without it there is no figure (the
// service's 0 then means "none", shown as "–"), not a rate of 0.
const OVER = { on_time_rate: "cases_handled", average_handling_hours: "cases_handled", satisfaction: "return_visits",
  contact_rate: "pairings_active" };

// One figure of a person: a number, or null for a share or mean over nothing.
export function figureValue(figures, key) {
  if (key === "zones") return (figures.zones || []).length;
  if (OVER[key] && !n(figures[OVER[key]])) return null;
  return n(figures[key]);
}

const WINDOW = [["cases_registered", 0], ["cases_handled", 0], ["cases_handled_on_time", 0], ["on_time_rate", 1],
  ["cases_reworked", 0], ["return_visits", 0], ["satisfaction", 2], ["average_handling_hours", 1]];
const ZONES = [["zones", 0], ["zones_backlog", 0], ["pairings_active", 0], ["pairings_contacted", 0],
  ["contact_rate", 1], ["visits", 0]];

// The figures as [key, value, digits] rows: window work, then zone work
// (only for someone who answers for zones).
export function figureRows(figures) {
  if (!figures) return { window: [], zones: [] };
  const rows = list => list.map(([key, digits]) => [key, figureValue(figures, key), digits]);
  return { window: rows(WINDOW), zones: (figures.zones || []).length ? rows(ZONES) : [] };
}

// A person's report (the text as typed, never trimmed inside).
export function reportRequest(staffId, period, text) {
  return { staff_id: staffId, period, text };
}

export function gradeRequest(grade, note) {
  return { grade, note: (note || "").trim() };
}

// An award: a person or a unit (whichever is given), the reason only when
// it is not awarded or was typed.
export function awardRequest({ award, subject, period, outcome, note }) {
  const body = { award: (award || "").trim(), period, outcome };
  if (/^\d+$/.test(subject || "")) body.unit_code = subject;
  else body.staff_id = subject || "";
  if ((note || "").trim()) body.note = note.trim();
  return body;
}

export function gradeTag(grade) {
  return { APPRAISAL_GRADE_EXCELLENT: "success", APPRAISAL_GRADE_COMPETENT: "primary",
    APPRAISAL_GRADE_BASIC: "warning", APPRAISAL_GRADE_INCOMPETENT: "danger" }[grade] || "info";
}

// Whether the report is still waiting for its grade.
export function ungraded(report) {
  return !report.grade || report.grade === "APPRAISAL_GRADE_UNSPECIFIED";
}

// The units a manager picks a team from: their own unit first (the
// district for the appraisal office and leaders), then each street under
// it followed by its communities, as grid has them; zones hold no staff.
// Labels are grid's names, a community's after its street's (name: its own).
export function teamUnitOptions(root, units) {
  if (!root) return [];
  const streets = units.filter(u => u.kind === "UNIT_KIND_STREET" && u.code !== root.code)
    .sort((a, b) => a.code.localeCompare(b.code));
  const communities = units.filter(u => u.kind === "UNIT_KIND_COMMUNITY" && u.code !== root.code)
    .sort((a, b) => a.code.localeCompare(b.code));
  const options = [{ code: root.code, name: root.name, label: root.name, depth: 0 }];
  const placed = new Set();
  for (const s of streets) {
    options.push({ code: s.code, name: s.name, label: s.name, depth: 1 });
    for (const c of communities.filter(c => c.parent_code === s.code)) {
      options.push({ code: c.code, name: c.name, label: `${s.name} · ${c.name}`, depth: 2 });
      placed.add(c.code);
    }
  }
  for (const c of communities.filter(c => !placed.has(c.code)))
    options.push({ code: c.code, name: c.name, label: c.name, depth: 1 });
  return options;
}

// A person KPI's value as shown: its number and label, "–" without one.
export function kpiShown(kpi, format) {
  if (!kpi || !kpi.has_value) return "–";
  const digits = kpi.unit_label === "%" || kpi.unit_label === "小时" ? 1 : 2;
  return `${format(kpi.value || 0, digits)}${kpi.unit_label ? ` ${kpi.unit_label}` : ""}`;
}

// A person KPI's definition in words: #{fact} as the fact's name, / as ÷,
// * as ×, then "× factor" when there is one (the page's 考核指标).
export function formulaText(kpi, factNames) {
  const side = text => (text || "").replace(/#\{([a-z0-9_]+)\}/g, (_, code) => factNames[code] || code)
    .replace(/\//g, " ÷ ").replace(/\*/g, " × ").replace(/\s+/g, " ").trim();
  const over = side(kpi.denominator);
  const factor = Number(kpi.factor || 1);
  return `${side(kpi.numerator)}${over ? ` ÷ ${/[\s+\-]/.test(over) ? `(${over})` : over}` : ""}`
    + (factor !== 1 ? ` × ${factor}` : "");
}

// A definition as PersonKpiDefine takes it (the code is the one edited).
export function personKpiRequest(form) {
  return {
    code: form.code, name: (form.name || "").trim(), numerator: (form.numerator || "").trim(),
    denominator: (form.denominator || "").trim(), factor: Number(form.factor || 1),
    direction: form.direction || "KPI_DIRECTION_HIGHER_BETTER", unit_label: (form.unit_label || "").trim(),
    description: (form.description || "").trim(), retired: !!form.retired,
  };
}
