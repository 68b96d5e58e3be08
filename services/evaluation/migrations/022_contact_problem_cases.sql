-- 联系点问题处置率 counts a problem handed to a case only when the case is
-- intake's (audit29 A1): grid takes any case id a leader gives it (grid does
-- not follow intake), evaluation follows both. A problem become a case
-- counts once evaluation has seen that case among the district's intake's
-- (intake_case: "intake", or "<district>:intake" at the city level); until
-- then, or never for a case intake does not have, it waits here uncounted
-- (case_counted false) and counts on the case's first event.
--
-- (Number 022 is outside the numbers split29 reserved for this work, 020
-- and 021, which were used; no other work there used it.)
ALTER TABLE contact_problem_state
  ADD COLUMN case_source  text NOT NULL DEFAULT '',
  ADD COLUMN case_id      bigint NOT NULL DEFAULT 0,
  -- Problems counted as cases before this migration stay counted.
  ADD COLUMN case_counted boolean NOT NULL DEFAULT true;
CREATE INDEX contact_problem_state_waiting ON contact_problem_state (case_source, case_id) WHERE NOT case_counted;
