-- 首问负责 as follow-through, and rework (零误差), counted from intake's
-- events (evaluation_intake.c).
--
-- The old KPI first_responder_closure ("closed by the first responder")
-- measured who pressed the last button, not whether anyone answered for
-- the case: it is retired by a version 2 (same formula, retired), so that
-- schemes of periods already scored keep their version 1 and its history,
-- and no new scheme takes it. Its fact goes on being counted for them.
--
-- In its place: of the deadlines a case missed, the share after which its
-- first responder followed it up (a call, a visit, a note: CaseFollowUp)
-- within one working day. Intake judges the working day (it holds the
-- calendar) and says it on the case (missed_unix_ms, followed_up_in_time);
-- both facts count in the period of the miss, so the ratio of a period is
-- about that period's misses. Intake's events from before the rule carry
-- no miss, so the facts start with it: nothing here is recounted.
INSERT INTO fact (code, name, stock, source_service, description) VALUES
  ('deadlines_missed', 'Deadlines missed', false, 'intake',
   'times an open case went past its deadline (marked overdue), by the day missed'),
  ('missed_deadlines_followed_up', 'Missed deadlines followed up by the first responder', false, 'intake',
   'of those, the ones its first responder followed up within one working day (首问负责)'),
  ('cases_reworked', 'Cases reworked', false, 'intake',
   'reopenings for rework after a return visit of 1-2 or a complaint (零误差), by the day reopened'),
  ('case_complaints', 'Complaints of answers', false, 'intake',
   'residents'' complaints that reopened a resolved or closed case, by the day complained');

UPDATE fact SET description = description || '; retired with the first_responder_closure KPI (005)'
 WHERE code = 'cases_closed_by_first_responder';

INSERT INTO kpi (code, version, name, numerator, denominator, factor, time_aggregation,
                 unit_aggregation, direction, unit_label, description, retired, defined_by)
SELECT code, 2, name, numerator, denominator, factor, time_aggregation, unit_aggregation, direction,
       unit_label, description || ' — retired: replaced by first_responder_follow_through', true, 'catalogue'
  FROM kpi WHERE code = 'first_responder_closure' AND version = 1
   AND NOT EXISTS (SELECT 1 FROM kpi k WHERE k.code = 'first_responder_closure' AND k.version > 1);

INSERT INTO kpi (code, version, name, numerator, denominator, factor, time_aggregation,
                 unit_aggregation, direction, unit_label, description, defined_by) VALUES
  ('first_responder_follow_through', 1, 'First responder follow-through', '#{missed_deadlines_followed_up}',
   '#{deadlines_missed}', 100, 0, 0, 1, '%',
   'share of missed deadlines after which the first responder followed the case up within one working day'
   || ' (首问负责)', 'catalogue'),
  ('rework_rate', 1, 'Rework rate', '#{cases_reworked}', '#{cases_closed}', 100, 0, 0, 2, '%',
   'reopenings for rework per 100 cases closed (零误差: lower is better)', 'catalogue'),
  ('complaint_rate', 1, 'Complaint rate', '#{case_complaints}', '#{cases_closed}', 100, 0, 0, 2, '%',
   'complaints of answers per 100 cases closed (lower is better)', 'catalogue');

-- What evaluation last knew of a case's rework, complaints and latest miss,
-- so that a later or repeated event counts only its difference.
ALTER TABLE intake_case
  ADD COLUMN reworks     int NOT NULL DEFAULT 0,
  ADD COLUMN complaints  int NOT NULL DEFAULT 0,
  ADD COLUMN missed_ms   bigint NOT NULL DEFAULT 0,
  ADD COLUMN followed_up boolean NOT NULL DEFAULT false;
