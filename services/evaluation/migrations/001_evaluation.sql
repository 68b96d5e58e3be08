-- Evaluation's own schema: the reference copy of grid it needs, the facts
-- counted from the sources' events (per org unit and period, rolled up the
-- hierarchy), KPIs as data, inputs, surveys, schemes and sign-off. Codes use
-- the "C" collation so that a subtree is a range on a btree.

-- Grid's org units, households, residents, staff and responsibilities, as
-- far as evaluation needs them (names for reports, the hierarchy, sampling
-- frames, who answers for a unit).
CREATE TABLE unit (
  code        text COLLATE "C" PRIMARY KEY,
  kind        smallint NOT NULL,
  name        text NOT NULL,
  parent_code text COLLATE "C"
);
CREATE INDEX unit_kind ON unit (kind, code);

CREATE TABLE household (
  code          text COLLATE "C" PRIMARY KEY,
  zone_code     text COLLATE "C" NOT NULL,
  in_difficulty boolean NOT NULL DEFAULT false
);
CREATE INDEX household_zone ON household (zone_code);

CREATE TABLE resident (
  id             text PRIMARY KEY,
  household_code text COLLATE "C" NOT NULL
);

CREATE TABLE staff (
  id        text PRIMARY KEY,
  name      text NOT NULL,
  kind      smallint NOT NULL,
  unit_code text COLLATE "C" NOT NULL
);

CREATE TABLE responsibility (
  unit_code text COLLATE "C" NOT NULL,
  kind      smallint NOT NULL,
  staff_id  text NOT NULL,
  PRIMARY KEY (unit_code, kind, staff_id)
);

-- The facts the sources' events are counted as (the catalogue, 002).
CREATE TABLE fact (
  code           text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
  name           text NOT NULL,
  stock          boolean NOT NULL,
  source_service text NOT NULL,
  description    text NOT NULL DEFAULT ''
);

-- Fact totals per unit and period: every change is added to the unit it
-- happened in and to each of its ancestors (zone, community, street,
-- district), for its month (kind 1), half-year (2) and year (3). A flow's
-- value for a period is its row; a stock's level at a period's end is the
-- sum of its rows of that kind up to that period (period codes of one kind
-- sort in time order).
CREATE TABLE fact_total (
  period_kind smallint NOT NULL CHECK (period_kind BETWEEN 1 AND 3),
  unit_code   text COLLATE "C" NOT NULL,
  fact        text NOT NULL,
  period      text COLLATE "C" NOT NULL,
  value       double precision NOT NULL,
  PRIMARY KEY (period_kind, unit_code, fact, period)
);

-- KPIs as data, every version kept.
CREATE TABLE kpi (
  code             text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
  version          int NOT NULL CHECK (version > 0),
  name             text NOT NULL,
  numerator        text NOT NULL,
  denominator      text NOT NULL DEFAULT '',
  factor           double precision NOT NULL DEFAULT 1,
  time_aggregation smallint NOT NULL DEFAULT 0,
  unit_aggregation smallint NOT NULL DEFAULT 0,
  direction        smallint NOT NULL DEFAULT 1,
  unit_label       text NOT NULL DEFAULT '',
  description      text NOT NULL DEFAULT '',
  retired          boolean NOT NULL DEFAULT false,
  defined_at       timestamptz NOT NULL DEFAULT now(),
  defined_by       text NOT NULL DEFAULT '',
  PRIMARY KEY (code, version)
);

CREATE TABLE input_value (
  input       text NOT NULL,
  unit_code   text COLLATE "C" NOT NULL,
  period      text COLLATE "C" NOT NULL,
  value       double precision NOT NULL CHECK (value >= 0),
  note        text NOT NULL DEFAULT '',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_by text NOT NULL DEFAULT '',
  PRIMARY KEY (input, unit_code, period)
);
CREATE INDEX input_value_period ON input_value (period);

-- Surveys.
CREATE TABLE questionnaire (
  code       text NOT NULL,
  version    int NOT NULL,
  title      text NOT NULL,
  defined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (code, version)
);

CREATE TABLE questionnaire_question (
  code         text NOT NULL,
  version      int NOT NULL,
  position     int NOT NULL,
  question     text NOT NULL,
  text         text NOT NULL,
  kind         smallint NOT NULL,
  scale_min    int NOT NULL DEFAULT 0,
  scale_max    int NOT NULL DEFAULT 0,
  choices      text[] NOT NULL DEFAULT '{}',
  required     boolean NOT NULL,
  satisfaction boolean NOT NULL,
  PRIMARY KEY (code, version, question),
  FOREIGN KEY (code, version) REFERENCES questionnaire (code, version)
);

CREATE TABLE survey_round (
  code                  text PRIMARY KEY,
  questionnaire_code    text NOT NULL,
  questionnaire_version int NOT NULL,
  period                text NOT NULL,
  mode                  smallint NOT NULL,
  per_community         int NOT NULL,
  seed                  bigint NOT NULL,
  under                 text COLLATE "C" NOT NULL DEFAULT '',
  closed                boolean NOT NULL DEFAULT false,
  created_at            timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (questionnaire_code, questionnaire_version) REFERENCES questionnaire (code, version)
);
CREATE INDEX survey_round_period ON survey_round (period);

CREATE TABLE survey_sample (
  round_code     text NOT NULL REFERENCES survey_round (code),
  household_code text COLLATE "C" NOT NULL,
  zone_code      text COLLATE "C" NOT NULL,
  community_code text COLLATE "C" NOT NULL,
  draw           int NOT NULL,
  PRIMARY KEY (round_code, household_code)
);
CREATE INDEX survey_sample_community ON survey_sample (round_code, community_code, draw);

CREATE TABLE survey_response (
  round_code     text NOT NULL,
  household_code text COLLATE "C" NOT NULL,
  mode           smallint NOT NULL,
  outcome        smallint NOT NULL,
  interviewer    text NOT NULL DEFAULT '',
  answered_at    timestamptz NOT NULL,
  satisfaction   double precision,     -- 0..100, NULL when not scored
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  recorded_by    text NOT NULL DEFAULT '',
  PRIMARY KEY (round_code, household_code),
  FOREIGN KEY (round_code, household_code) REFERENCES survey_sample (round_code, household_code)
);

CREATE TABLE survey_answer (
  round_code     text NOT NULL,
  household_code text COLLATE "C" NOT NULL,
  question       text NOT NULL,
  value          int NOT NULL DEFAULT 0,
  text           text NOT NULL DEFAULT '',
  PRIMARY KEY (round_code, household_code, question),
  FOREIGN KEY (round_code, household_code) REFERENCES survey_response (round_code, household_code)
);

-- Schemes, sign-off and frozen periods.
CREATE TABLE scheme (
  period       text NOT NULL,
  version      int NOT NULL,
  name         text NOT NULL,
  commend_at   double precision NOT NULL,
  attention_at double precision NOT NULL,
  defined_at   timestamptz NOT NULL DEFAULT now(),
  defined_by   text NOT NULL DEFAULT '',
  PRIMARY KEY (period, version)
);

CREATE TABLE scheme_item (
  period    text NOT NULL,
  version   int NOT NULL,
  position  int NOT NULL,
  kpi_code  text NOT NULL,
  weight    double precision NOT NULL CHECK (weight > 0),
  target    double precision NOT NULL,
  threshold double precision NOT NULL,
  PRIMARY KEY (period, version, kpi_code),
  FOREIGN KEY (period, version) REFERENCES scheme (period, version)
);

CREATE TABLE sign_off (
  serial    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  period    text NOT NULL,
  unit_code text COLLATE "C" NOT NULL,
  decision  smallint NOT NULL CHECK (decision IN (1, 2)),
  composite double precision NOT NULL,
  note      text NOT NULL DEFAULT '',
  signed_by text NOT NULL DEFAULT '',
  signed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_off_unit ON sign_off (period, unit_code, serial);

-- A frozen period keeps its scorecard as it stood (a packed Scorecard).
CREATE TABLE period_frozen (
  period         text PRIMARY KEY,
  scheme_version int NOT NULL,
  scorecard      bytea NOT NULL,
  frozen_at      timestamptz NOT NULL DEFAULT now(),
  frozen_by      text NOT NULL DEFAULT ''
);
