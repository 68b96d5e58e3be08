-- Per-stage lateness (issue 18): each stage of a work order (签收 receipt,
-- 首次响应 first response, 办结 completion) is counted against the tier that
-- held the case when the stage fell due, not the unit that holds it at the
-- end (evaluation_intake.c). A stage late is one intake recorded in
-- case_stage_late (the holder at the time, read back with
-- CaseStageLateList); a stage in time is one met by its due time, counted
-- against the holder that met it. Both in the period of the due time, so a
-- period's share is about the stages that fell due in it. The tier: a
-- staff member's unit, the unit itself, the district for a department.
-- Intake's events from before its work-order rules carry no stages, so the
-- facts start with them: nothing here is recounted.
INSERT INTO fact (code, name, stock, source_service, description) VALUES
  ('receipts_in_time', 'Receipts (签收) in time', false, 'intake',
   'assignments signed for by their due time, against the holder, by the day due'),
  ('receipts_late', 'Receipts (签收) late', false, 'intake',
   'assignments not signed for by their due time, against the holder then, by the day due'),
  ('first_responses_in_time', 'First responses in time', false, 'intake',
   'assignments first responded to by their due time, against the holder, by the day due'),
  ('first_responses_late', 'First responses late', false, 'intake',
   'assignments not first responded to by their due time, against the holder then, by the day due'),
  ('completions_in_time', 'Completions (办结) in time', false, 'intake',
   'cases resolved by their due time, against the holder that resolved them, by the day due'),
  ('completions_late', 'Completions (办结) late', false, 'intake',
   'cases not resolved by their due time, against the holder when it fell due, by the day due');

-- Shares, as indicators: no scheme weighs them until a scheme says so
-- (SchemeDefine), so the scorecards of schemes already made are unchanged.
INSERT INTO kpi (code, version, name, numerator, denominator, factor, time_aggregation,
                 unit_aggregation, direction, unit_label, description, defined_by) VALUES
  ('receipt_timeliness', 1, '签收及时率 Receipt in time', '#{receipts_in_time}',
   '#{receipts_in_time} + #{receipts_late}', 100, 0, 0, 1, '%',
   'share of assignments signed for (签收) by their due time, against the tier that held the case then',
   'catalogue'),
  ('first_response_timeliness', 1, '首次响应及时率 First response in time', '#{first_responses_in_time}',
   '#{first_responses_in_time} + #{first_responses_late}', 100, 0, 0, 1, '%',
   'share of assignments first responded to by their due time, against the tier that held the case then',
   'catalogue'),
  ('stage_completion_timeliness', 1, '办结及时率（按时限归属）Completion in time, by holder',
   '#{completions_in_time}', '#{completions_in_time} + #{completions_late}', 100, 0, 0, 1, '%',
   'share of cases resolved by their due time, against the tier that held the case when it fell due'
   || ' (on_time_rate counts the case''s own unit at closing)', 'catalogue');

-- The stages evaluation has counted for a case, each once: a late one as
-- intake recorded it, one in time when an event showed it met
-- ('<stage>.<assignment>.late' or '.in_time'). Kept on the case's row, so
-- that forgetting intake's facts and cases (004) forgets them too.
ALTER TABLE intake_case ADD COLUMN stages_counted text[] NOT NULL DEFAULT '{}';
