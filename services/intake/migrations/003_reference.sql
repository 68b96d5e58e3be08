-- Intake's copy of what it needs from grid, kept by following grid's events
-- (unit.*, household.*, staff.*, responsibility.*, department.*), so that a
-- case's household and zone are checked and routed while grid is down.
CREATE TABLE ref_unit (
  code        text PRIMARY KEY,
  kind        smallint NOT NULL,
  name        text NOT NULL,
  parent_code text NOT NULL DEFAULT '',
  version     bigint NOT NULL DEFAULT 0
);

CREATE TABLE ref_household (
  code      text PRIMARY KEY,
  zone_code text NOT NULL,
  flags     smallint[] NOT NULL DEFAULT '{}',
  version   bigint NOT NULL DEFAULT 0
);

CREATE TABLE ref_staff (
  id              text PRIMARY KEY,
  name            text NOT NULL,
  kind            smallint NOT NULL,
  unit_code       text NOT NULL DEFAULT '',
  department_code text NOT NULL DEFAULT '',
  active          boolean NOT NULL DEFAULT true,
  version         bigint NOT NULL DEFAULT 0
);

-- kind: 1 the zone's street cadre, 2 the zone's community committee member
-- (grid's ResponsibilityKind; the others are kept too, routing ignores them).
CREATE TABLE ref_responsibility (
  unit_code text NOT NULL,
  kind      smallint NOT NULL,
  staff_id  text NOT NULL,
  since     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (unit_code, kind, staff_id)
);

CREATE TABLE ref_department (
  code text PRIMARY KEY,
  name text NOT NULL
);

-- Bumped in the transaction of every change to the reference tables (n),
-- to the catalogue or the calendar (catalogue), and counting the households
-- added (households): the service loop keeps them in memory for the
-- submission path, looks here at every run of submissions and reloads what
-- moved (households one by one as it meets them, all at once after many).
CREATE TABLE ref_generation (
  only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  n          bigint NOT NULL,
  catalogue  bigint NOT NULL,
  households bigint NOT NULL
);
INSERT INTO ref_generation (only_row, n, catalogue, households) VALUES (true, 1, 1, 0);
