-- Intake's events written before its case columns were counted right carry
-- a garbled last step (seq, actor name and time read from the wrong
-- columns), and evaluation moved the open and backlog levels at those
-- times: months with thousands more open cases than intake ever had. The
-- mapping no longer believes a step whose seq is not the case's version
-- (evaluation_intake.c); here everything counted from intake is forgotten,
-- with the followers' cursors for intake's instances, so that the followers
-- count intake's whole event log again from its first event.
DELETE FROM fact_total
 WHERE fact IN (SELECT code FROM fact WHERE source_service = 'intake');
DELETE FROM intake_case;
DELETE FROM event_cursor WHERE source = 'intake' OR source LIKE 'intake@%';
