-- Hand-off between intake instances (docs/operations.md, "City level and
-- hand-off"): a case registered at a department's intake that belongs to a
-- community, or the reverse, goes to the instance that handles it, exactly
-- once, with its steps.
--
-- The sender's side: the case handed (HANDOFF_SENT), where to and why, and
-- once the receiving instance answered, its case (HANDOFF_LINKED). A row
-- in state 1 is what the peers thread still has to deliver.
CREATE TABLE case_handoff_out (
  case_id          bigint PRIMARY KEY REFERENCES intake_case (id),
  to_instance      text NOT NULL,
  reason           text NOT NULL,
  state            smallint NOT NULL DEFAULT 1 CHECK (state IN (1, 2)),
  sent_at          timestamptz NOT NULL,
  to_case_id       bigint,
  to_registration  text NOT NULL DEFAULT '',
  linked_at        timestamptz
);
CREATE INDEX case_handoff_out_sending ON case_handoff_out (case_id) WHERE state = 1;

-- The receiver's side: the case made for a sender's case. The unique key is
-- what makes a hand-off make one case whatever is retried (a repeat finds
-- it and answers with it).
CREATE TABLE case_handoff_in (
  case_id           bigint PRIMARY KEY REFERENCES intake_case (id),
  from_instance     text NOT NULL,
  from_case_id      bigint NOT NULL,
  from_registration text NOT NULL DEFAULT '',
  reason            text NOT NULL DEFAULT '',
  sent_at           timestamptz NOT NULL,
  received_at       timestamptz NOT NULL,
  UNIQUE (from_instance, from_case_id)
);

-- The receiving instance's answers, written by the peers thread in the
-- transaction after the call, applied by the loop (the case rows and the
-- event log keep one writer) and deleted in the transaction of their step.
CREATE TABLE handoff_inbox (
  case_id          bigint PRIMARY KEY,
  to_case_id       bigint NOT NULL,
  to_registration  text NOT NULL,
  arrived_at       timestamptz NOT NULL DEFAULT now()
);
