-- One registration, all services: intake's cases of 就业失业登记 and
-- 就业困难人员认定 make or update the person here once the case is resolved
-- (docs/registrations.md). Employment follows intake's events; a resolved
-- registration waits in registration_inbox (written with the follower's
-- cursor, so each is taken once) until the loop registers the person
-- through PersonRegister's or PersonUpdate's own path, records the case's
-- link below and answers with "registration.linked" or
-- "registration.refused", all in one transaction.
CREATE TABLE registration_inbox (
  case_ref     text COLLATE "C" NOT NULL,   -- "<intake instance>/<case id>"
  case_version bigint NOT NULL,             -- the resolved case's version
  the_case     bytea NOT NULL,              -- sifang.v1.Case, as intake's event carried it
  source_seq   bigint NOT NULL,             -- the event's sequence in intake's log
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (case_ref, case_version)
);

-- Each case's answer: the person it made or updated, or why it was refused.
-- outcome: 1 created, 2 updated, 3 refused.
CREATE TABLE case_registration (
  case_ref     text COLLATE "C" NOT NULL,
  case_version bigint NOT NULL,
  kind         smallint NOT NULL,           -- CaseRegistrationKind: 1 employment, 2 difficulty
  resident_id  text COLLATE "C" NOT NULL,
  outcome      smallint NOT NULL CHECK (outcome BETWEEN 1 AND 3),
  refusal      text NOT NULL DEFAULT '',
  answered_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (case_ref, case_version)
);
CREATE INDEX case_registration_resident ON case_registration (resident_id);
