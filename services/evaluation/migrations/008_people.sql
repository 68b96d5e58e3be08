-- People's figures and targets by level (issue 19).
--
-- Window staff: what evaluation knows of each case also names the people in
-- it, so that a person's figures are sums over the cases' rows
-- (evaluation_people.c): who registered it (the first responder) and the
-- month received; the latest resolver (the actor of the latest 办结 or
-- 直接答复 step) and when that resolution was; at closing, who handled it
-- (the resolver then), the month closed, whether it was resolved by the due
-- time, the return visit's rating and the hours from received to resolved.
ALTER TABLE intake_case
  ADD COLUMN first_responder text NOT NULL DEFAULT '',
  ADD COLUMN received_month  text NOT NULL DEFAULT '',
  ADD COLUMN resolver        text NOT NULL DEFAULT '',
  ADD COLUMN resolved_ms     bigint NOT NULL DEFAULT 0,
  ADD COLUMN handled_by      text NOT NULL DEFAULT '',
  ADD COLUMN closed_month    text NOT NULL DEFAULT '',
  ADD COLUMN handled_on_time boolean NOT NULL DEFAULT false,
  ADD COLUMN satisfaction    smallint NOT NULL DEFAULT 0,
  ADD COLUMN handling_ms     bigint NOT NULL DEFAULT 0;
CREATE INDEX intake_case_first_responder ON intake_case (first_responder, received_month) WHERE first_responder <> '';
CREATE INDEX intake_case_handled_by ON intake_case (handled_by, closed_month) WHERE handled_by <> '';

-- Reopenings for rework (零误差), against the resolver whose answer was
-- reopened, in the month reopened; one row per step that raised the case's
-- rework count (keyed by the count it reached).
CREATE TABLE staff_rework (
  source   text NOT NULL,
  case_id  bigint NOT NULL,
  reworks  int NOT NULL,
  staff_id text NOT NULL,
  month    text NOT NULL,
  count    int NOT NULL CHECK (count > 0),
  PRIMARY KEY (source, case_id, reworks)
);
CREATE INDEX staff_rework_staff ON staff_rework (staff_id, month);

-- Household visits by the person who made them, each once, in the month made.
CREATE TABLE staff_visit (
  source   text NOT NULL,
  id       text NOT NULL,
  staff_id text NOT NULL,
  month    text NOT NULL,
  PRIMARY KEY (source, id)
);
CREATE INDEX staff_visit_staff ON staff_visit (staff_id, month);

-- Grid's staff: whether active (a team lists its active members).
ALTER TABLE staff ADD COLUMN active boolean NOT NULL DEFAULT true;

-- A scheme item's own target and threshold per level (unit kind 1..4).
CREATE TABLE scheme_item_level (
  period    text NOT NULL,
  version   int NOT NULL,
  kpi_code  text NOT NULL,
  unit_kind smallint NOT NULL CHECK (unit_kind BETWEEN 1 AND 4),
  target    double precision NOT NULL,
  threshold double precision NOT NULL,
  PRIMARY KEY (period, version, kpi_code, unit_kind),
  FOREIGN KEY (period, version, kpi_code) REFERENCES scheme_item (period, version, kpi_code)
);

-- The cases' people are known only from events read from now on: intake's
-- log is counted again from its first event (as 004 did), so that every
-- case has its people, and every figure is what a recount from intake's own
-- tables gives.
DELETE FROM fact_total
 WHERE fact IN (SELECT code FROM fact WHERE source_service = 'intake');
DELETE FROM intake_case;
DELETE FROM event_cursor WHERE source = 'intake' OR source LIKE 'intake@%';
