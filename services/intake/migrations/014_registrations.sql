-- One registration, all services: the catalogue items that are themselves
-- registrations feed the service that owns them (docs/registrations.md).
-- 就业失业登记 and 就业困难人员认定 make or update the person in employment,
-- 在职党员报到 registers a party member volunteer of the community. A case of
-- such an item carries the registration's data here; the owning service,
-- following intake's events, acts once the case is resolved and answers
-- with an event that the peers thread leaves in registration_inbox for the
-- loop to record as a step of the case and its link.

-- 0 not a registration, 1 employment (就业失业登记), 2 employment difficulty
-- (就业困难人员认定), 3 in-service party member (在职党员报到): CaseRegistrationKind.
ALTER TABLE service_item ADD COLUMN registration smallint NOT NULL DEFAULT 0
  CHECK (registration BETWEEN 0 AND 3);
UPDATE service_item SET registration = 1 WHERE code = 'unemployment-registration';
UPDATE service_item SET registration = 2 WHERE code = 'employment-difficulty-certification';
UPDATE service_item SET registration = 3 WHERE code = 'in-service-member-registration';
-- The loop's copy of the catalogue reloads.
UPDATE ref_generation SET n = n + 1, catalogue = catalogue + 1;

-- The registration a case carries, as the clerk took it down. The identity
-- number is not kept (grid alone keeps it, as a keyed hash): only its masked
-- form. state: 1 waiting for the case's resolution, 2 sent (the case was
-- resolved; the owning service has it), 3 linked, 4 refused
-- (CaseRegistrationState).
CREATE TABLE case_registration (
  case_id            bigint PRIMARY KEY REFERENCES intake_case (id),
  kind               smallint NOT NULL CHECK (kind BETWEEN 1 AND 3),
  resident_id        text COLLATE "C" NOT NULL,
  id_number_masked   text NOT NULL,
  name               text NOT NULL,
  birth_date         date NOT NULL,
  gender             smallint NOT NULL CHECK (gender IN (1, 2)),
  phone              text NOT NULL DEFAULT '',
  household_code     text COLLATE "C" NOT NULL,
  labor_status       smallint NOT NULL DEFAULT 0,
  difficulties       smallint[] NOT NULL DEFAULT '{}',
  seeking_work       boolean NOT NULL DEFAULT false,
  party_organisation text NOT NULL DEFAULT '',
  disability_certificate text NOT NULL DEFAULT '',
  state              smallint NOT NULL DEFAULT 1 CHECK (state BETWEEN 1 AND 4),
  sent_version       bigint NOT NULL DEFAULT 0,    -- the case's version when it was resolved (the answer names it)
  service            text NOT NULL,                -- the owning service: employment or volunteer
  linked_id          text NOT NULL DEFAULT '',
  created            boolean NOT NULL DEFAULT false,
  refusal            text NOT NULL DEFAULT '',
  answered_at        timestamptz
);
CREATE INDEX case_registration_resident ON case_registration (resident_id);

-- The owning services' answers (CaseRegistrationOutcome), as the peers
-- thread follows them, waiting for the loop. Written with the follower's
-- cursor and deleted with the step that records them: each answer is
-- recorded once.
CREATE TABLE registration_inbox (
  id          bigserial PRIMARY KEY,
  case_id     bigint NOT NULL,
  refused     boolean NOT NULL,
  outcome     bytea NOT NULL,          -- sifang.v1.CaseRegistrationOutcome
  source      text NOT NULL,           -- the source instance and sequence, for the log
  received_at timestamptz NOT NULL DEFAULT now()
);
