-- Escalation to a person, and messages to the resident (issue 18).
--
-- The deadline sweep escalates an overdue case to its community station,
-- then its street office; the unit's head as grid names them (负责人,
-- ResponsibilityKind UNIT_HEAD, in ref_responsibility as kind 5) takes it.
-- The case keeps the unit (escalated_to) and the person; "" when grid names
-- nobody and the unit itself holds the case.
ALTER TABLE intake_case
  ADD COLUMN escalated_person_id   text NOT NULL DEFAULT '',
  ADD COLUMN escalated_person_name text NOT NULL DEFAULT '';

-- The resident told: the outbox of messages to residents, written by the
-- step the resident must hear of, in the step's own transaction
-- (intake_resident.c), one per step at most. The SMS integration reads the
-- pending ones and acknowledges each, delivered or failed (at least once:
-- a message not acknowledged is read again). reason: ResidentMessageReason;
-- state: 1 pending, 2 delivered, 3 failed. The phone is the requester's as
-- given at registration: personal data, shown in the clear only to the
-- integration and the staff with the case's duty.
CREATE TABLE resident_message (
  id                  bigserial PRIMARY KEY,
  case_id             bigint NOT NULL REFERENCES intake_case (id),
  case_seq            int NOT NULL,
  registration_number text NOT NULL DEFAULT '',
  reason              smallint NOT NULL CHECK (reason BETWEEN 1 AND 4),
  channel             text NOT NULL DEFAULT 'sms',
  phone               text NOT NULL,
  body                text NOT NULL,
  unit_code           text COLLATE "C" NOT NULL,
  state               smallint NOT NULL DEFAULT 1 CHECK (state BETWEEN 1 AND 3),
  created_at          timestamptz NOT NULL,
  acked_at            timestamptz,
  acked_by            text NOT NULL DEFAULT '',
  provider_ref        text NOT NULL DEFAULT '',
  error               text NOT NULL DEFAULT '',
  failures            int NOT NULL DEFAULT 0,
  UNIQUE (case_id, case_seq)
);
-- What the integration has still to send, oldest first.
CREATE INDEX resident_message_pending ON resident_message (id) WHERE state = 1;
CREATE INDEX resident_message_unit ON resident_message (unit_code, id);
