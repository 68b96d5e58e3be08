-- Rework (零误差) by who answered (issue 18): the facts of 005 count a
-- reopening in the case's unit (where the resident lives); these count it
-- against the unit of the person whose answer was reopened, beside the
-- answers that unit gave, so that a station, a street office or the
-- district sees how often its own answers come back (evaluation_rework.c).
--   answers_given       each resolution (办结, or 直接答复 at the window),
--                        against its resolver's unit, by the day resolved
--                        (an answer given again after a rework counts again);
--   answers_reworked    each reopening (a return visit of 1-2, or a
--                        complaint), against the unit of the resolver of the
--                        answer reopened, by the day reopened;
--   answers_complained  of them, the residents' complaints;
--   cases_reopened      each case once, the first time it is reopened, in
--                        the case's unit (the reopenings are cases_reworked).
-- The unit of a resolver is their unit in grid; the district's for one
-- grid does not know.
INSERT INTO fact (code, name, stock, source_service, description) VALUES
  ('answers_given', 'Answers given', false, 'intake',
   'resolutions (办结, 直接答复), against the resolver''s unit, by the day resolved'),
  ('answers_reworked', 'Answers reopened for rework', false, 'intake',
   'reopenings (a return visit of 1-2, a complaint) against the unit of whoever gave the answer, by the day reopened'),
  ('answers_complained', 'Answers complained of', false, 'intake',
   'of those, the residents'' complaints'),
  ('cases_reopened', 'Cases reopened', false, 'intake',
   'cases reopened for rework, each once (the first time), in the case''s unit, by the day reopened');

-- Indicators: no scheme weighs them until a scheme says so (SchemeDefine),
-- so the scorecards of schemes already made are unchanged.
INSERT INTO kpi (code, version, name, numerator, denominator, factor, time_aggregation,
                 unit_aggregation, direction, unit_label, description, defined_by) VALUES
  ('answer_rework_rate', 1, '答复返工率 Answers reworked', '#{answers_reworked}', '#{answers_given}', 100,
   0, 0, 2, '%',
   'reopenings for rework per 100 answers given, against the unit that gave the answer (零误差: lower is better)',
   'catalogue'),
  ('answer_complaint_rate', 1, '答复被投诉率 Answers complained of', '#{answers_complained}', '#{answers_given}',
   100, 0, 0, 2, '%',
   'complaints per 100 answers given, against the unit that gave the answer (lower is better)', 'catalogue'),
  ('case_reopened_share', 1, '返工办件占比 Cases reopened', '#{cases_reopened}', '#{cases_closed}', 100,
   0, 0, 2, '%',
   'cases reopened for rework (each once) per 100 cases closed, in the case''s unit (lower is better)',
   'catalogue');

-- The answers given before this migration are known only from intake's log:
-- it is counted again from its first event (as 004 and 008 did), so that
-- every figure is what a recount from intake's own tables gives. (On a new
-- database this runs before 008, which forgets the same again: nothing
-- has been counted yet.)
DELETE FROM fact_total
 WHERE fact IN (SELECT code FROM fact WHERE source_service = 'intake');
DELETE FROM intake_case;
DELETE FROM event_cursor WHERE source = 'intake' OR source LIKE 'intake@%';
