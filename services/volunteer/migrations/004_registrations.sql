-- One registration, all services: intake's cases of 在职党员报到 (an
-- in-service party member reporting to the community where they live)
-- register the member as a party member volunteer of that community once
-- the case is resolved (docs/registrations.md). Volunteer follows intake's
-- events; a resolved registration waits in registration_inbox (written with
-- the follower's cursor, so each is taken once) until the loop registers
-- the member through VolunteerRegister's or VolunteerUpdate's own path,
-- records the case's link below and answers with "registration.linked" or
-- "registration.refused", all in one transaction.
CREATE TABLE registration_inbox (
  case_ref     text COLLATE "C" NOT NULL,   -- "<intake instance>/<case id>"
  case_version bigint NOT NULL,             -- the resolved case's version
  the_case     bytea NOT NULL,              -- sifang.v1.Case, as intake's event carried it
  source_seq   bigint NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (case_ref, case_version)
);

-- Each case's answer: the volunteer it made or updated, or why it was
-- refused. outcome: 1 created, 2 updated, 3 refused.
CREATE TABLE case_registration (
  case_ref         text COLLATE "C" NOT NULL,
  case_version     bigint NOT NULL,
  resident_id      text COLLATE "C" NOT NULL,
  volunteer_serial bigint REFERENCES volunteer (serial),
  outcome          smallint NOT NULL CHECK (outcome BETWEEN 1 AND 3),
  refusal          text NOT NULL DEFAULT '',
  answered_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (case_ref, case_version)
);
CREATE INDEX case_registration_volunteer ON case_registration (volunteer_serial);
