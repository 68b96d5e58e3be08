-- 述职考核 and 双挂钩 (issue 19).
--
-- A person's or a unit's half-year report, written by them, with their
-- figures as they stood at submission (a packed StaffFigures for a person, a
-- packed UnitScore for a unit), and its grade. unit_code is the unit's, or
-- the person's unit at submission: who may see a report is read from it.
CREATE TABLE appraisal_report (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  staff_id     text NOT NULL DEFAULT '',
  unit_code    text COLLATE "C" NOT NULL,
  period       text NOT NULL,
  body         text NOT NULL,
  subject_name text NOT NULL,
  figures      bytea,
  submitted_by text NOT NULL,
  submitted_at timestamptz NOT NULL,
  grade        smallint NOT NULL DEFAULT 0 CHECK (grade BETWEEN 0 AND 4),
  graded_by    text NOT NULL DEFAULT '',
  graded_at    timestamptz,
  grade_note   text NOT NULL DEFAULT '',
  version      int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX appraisal_report_person ON appraisal_report (period, staff_id) WHERE staff_id <> '';
CREATE UNIQUE INDEX appraisal_report_unit ON appraisal_report (period, unit_code) WHERE staff_id = '';
CREATE INDEX appraisal_report_under ON appraisal_report (period, unit_code);

-- An award decided (评先选优) with the results it was linked to at the
-- decision: the report's grade and the subject's unit's survey satisfaction.
CREATE TABLE award_decision (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  award               text NOT NULL,
  staff_id            text NOT NULL DEFAULT '',
  unit_code           text COLLATE "C" NOT NULL,
  period              text NOT NULL,
  outcome             smallint NOT NULL CHECK (outcome IN (1, 2)),
  note                text NOT NULL DEFAULT '',
  subject_name        text NOT NULL,
  appraisal_grade     smallint NOT NULL,
  appraisal_report_id bigint NOT NULL REFERENCES appraisal_report (id),
  has_survey          boolean NOT NULL,
  survey_satisfaction double precision NOT NULL,
  survey_scored       bigint NOT NULL,
  decided_by          text NOT NULL,
  decided_at          timestamptz NOT NULL,
  UNIQUE (period, award, staff_id, unit_code)
);
CREATE INDEX award_decision_under ON award_decision (period, unit_code);
