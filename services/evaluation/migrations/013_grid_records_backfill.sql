-- Grid's records counted from its first event (issue 19). Migration 011
-- began counting leaders' contact visits and problems, departments' work
-- and pairings, but an installation whose follower had already passed those
-- events went on from its cursor: what grid recorded before 011 was never
-- counted. Re-reading grid's whole log with the ordinary follower would
-- count households and residents again (their mapping counts the change from
-- the copy it keeps), so only these records are read again, by a second
-- follower of grid with a cursor of its own ("<source>#records"), before
-- the ordinary one goes on (evaluation_backfill.c). Each record is counted
-- once (counted_record) and each problem by grid's version
-- (contact_problem_state), so what 011 already counted is not counted again.
--
-- Also: 走遍社区, departments' visit coverage. A pairing (department,
-- community) counts once in each month, half-year and year in which its
-- department visited the community; the KPI is the share of the pairings
-- going on that were visited. Its earlier visits are counted by the same
-- re-reading.
INSERT INTO fact (code, name, stock, source_service, description) VALUES
  ('department_pairings_visited', 'Department pairings visited', false, 'grid',
   'pairings (帮建对子) whose department visited the community within the period, each once a period');

INSERT INTO kpi (code, version, name, numerator, denominator, factor, time_aggregation,
                 unit_aggregation, direction, unit_label, description, defined_by) VALUES
  ('department_visit_coverage', 1, '帮建部门走遍社区率 Paired communities visited',
   '#{department_pairings_visited}', '#{department_pairings}', 100, 0, 0, 1, '%',
   'share of the pairings going on (帮建对子) whose department visited the community within the period (走遍社区);'
   || ' a community''s: of the departments paired with it', 'catalogue');

-- A source whose grid records are to be read again, up to where its
-- ordinary follower stood when this was asked: the ordinary follower waits
-- until they are. Removed once done.
CREATE TABLE source_backfill (
  source    text PRIMARY KEY,   -- the ordinary follower's cursor key: "grid", "sifang:grid"
  until_seq bigint NOT NULL,
  asked_at  timestamptz NOT NULL DEFAULT now()
);

-- Every grid follower that has read anything; a follower that starts after
-- this reads every record anyway.
INSERT INTO source_backfill (source, until_seq)
SELECT source, last_seq FROM event_cursor
 WHERE last_seq > 0 AND source ~ '^([a-z0-9-]+:)?grid(@[a-z0-9-]+)?$';
