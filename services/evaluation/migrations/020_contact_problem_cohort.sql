-- 联系点问题解决率 / 处置率 as the shares their names say (issue 19): a
-- contact problem solved, or become a case, counts in the period it was
-- FOUND (the day of the visit that recorded it), beside the problems found
-- then, so that no period shows more solved than found. Before, it counted
-- on the day it was closed: a month whose earlier problems were closed read
-- over 100 %, and the month that found them 0 %.
--
-- found_ms is the visit's day, written when the visit is counted. Problems
-- counted before this migration have none: grid's records are read again
-- (as migration 013 does, source_backfill), and each visit read again gives
-- its problems their day and moves what they counted from the day closed to
-- the day found. Until then a problem without a day counts where it did.
ALTER TABLE contact_problem_state ADD COLUMN found_ms bigint;

UPDATE fact SET description = 'of them, those solved now, in the period they were found'
 WHERE code = 'contact_problems_solved';
UPDATE fact SET description = 'of them, those handed to intake as a case now, in the period they were found'
 WHERE code = 'contact_problems_to_case';

INSERT INTO source_backfill (source, until_seq)
SELECT source, last_seq FROM event_cursor
 WHERE last_seq > 0 AND source ~ '^([a-z0-9-]+:)?grid(@[a-z0-9-]+)?$'
   AND EXISTS (SELECT 1 FROM contact_problem_state)
ON CONFLICT (source) DO NOTHING;
