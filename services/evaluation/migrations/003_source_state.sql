-- What evaluation remembers of the sources' aggregates between their events,
-- so that each event counts only what it changed: a case's open and
-- past-due state, a person's difficulty and employment, a service record's
-- counted hours, a pairing's household and state, and which pairings were
-- already contacted in a period. Keyed by source instance where ids are the
-- instance's own.

CREATE TABLE intake_case (
  source    text NOT NULL,
  id        bigint NOT NULL,
  unit_code text COLLATE "C" NOT NULL,
  open      boolean NOT NULL,
  backlog   boolean NOT NULL,
  closed    boolean NOT NULL DEFAULT false,
  PRIMARY KEY (source, id)
);

CREATE TABLE employment_person (
  source        text NOT NULL,
  resident_id   text NOT NULL,
  zone_code     text COLLATE "C" NOT NULL,
  in_difficulty boolean NOT NULL,
  employed      boolean NOT NULL,
  PRIMARY KEY (source, resident_id)
);

CREATE TABLE employment_counted (
  source text NOT NULL,
  kind   text NOT NULL,          -- placement, support
  id     bigint NOT NULL,
  PRIMARY KEY (source, kind, id)
);

CREATE TABLE volunteer_record (
  source         text NOT NULL,
  id             text NOT NULL,
  hours          double precision NOT NULL,
  served_on      text NOT NULL,
  community_code text COLLATE "C" NOT NULL,
  PRIMARY KEY (source, id)
);

CREATE TABLE volunteer_pairing (
  source         text NOT NULL,
  id             text NOT NULL,
  household_code text COLLATE "C" NOT NULL,
  active         boolean NOT NULL,
  PRIMARY KEY (source, id)
);

CREATE TABLE volunteer_paired_household (
  household_code text COLLATE "C" PRIMARY KEY,
  pairings       int NOT NULL CHECK (pairings >= 0)
);

CREATE TABLE volunteer_pairing_contacted (
  source     text NOT NULL,
  pairing_id text NOT NULL,
  period     text NOT NULL,
  PRIMARY KEY (source, pairing_id, period)
);
