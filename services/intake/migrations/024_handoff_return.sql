-- A hand-off the receiving instance refuses, or the sender cancels, comes
-- back to the sender's desk (docs/operations.md, "City level and hand-off").
-- Numbered after 020, whose tables it changes (the runner applies a fresh
-- schema's migrations in number order).
--
-- The sender's row: state 4 refused, 5 withdrawing (refused or cancel
-- asked: the receiver is asked to promise it makes no case for the
-- attempt), 6 cancelled. A refused or cancelled case may be handed again:
-- attempt counts its hand-offs (each delivered under a request id of its
-- own); tries counts the deliveries begun for the present attempt, so a
-- cancel of one never sent needs no answer from the receiver.
ALTER TABLE case_handoff_out DROP CONSTRAINT case_handoff_out_state_check;
ALTER TABLE case_handoff_out ADD CONSTRAINT case_handoff_out_state_check CHECK (state IN (1, 2, 4, 5, 6));
ALTER TABLE case_handoff_out
  ADD COLUMN attempt          integer NOT NULL DEFAULT 1,
  ADD COLUMN tries            integer NOT NULL DEFAULT 0,
  ADD COLUMN refusal          text NOT NULL DEFAULT '',
  ADD COLUMN refused_at       timestamptz,
  ADD COLUMN cancel_reason    text NOT NULL DEFAULT '',
  ADD COLUMN cancelled_by     text NOT NULL DEFAULT '',
  ADD COLUMN cancel_asked_at  timestamptz,
  ADD COLUMN returned_at      timestamptz;
-- Rows handed before this migration were delivered at least once or are
-- about to be: a cancel of one must ask the receiver.
UPDATE case_handoff_out SET tries = 1 WHERE state = 1;
DROP INDEX case_handoff_out_sending;
CREATE INDEX case_handoff_out_pending ON case_handoff_out (case_id) WHERE state IN (1, 5);

-- The inbox holds either answer: outcome 1 linked (the receiving case),
-- 2 withdrawn (no case there: the row goes refused or cancelled).
ALTER TABLE handoff_inbox
  ADD COLUMN attempt integer NOT NULL DEFAULT 1,
  ADD COLUMN outcome smallint NOT NULL DEFAULT 1 CHECK (outcome IN (1, 2)),
  ALTER COLUMN to_case_id DROP NOT NULL,
  ALTER COLUMN to_registration SET DEFAULT '';

-- The receiver's side: the attempt a case was received for, and the
-- attempts it promised never to make a case for (HandoffWithdraw), which
-- HandoffReceive then refuses.
ALTER TABLE case_handoff_in ADD COLUMN attempt integer NOT NULL DEFAULT 1;
CREATE TABLE handoff_withdrawn (
  from_instance  text NOT NULL,
  from_case_id   bigint NOT NULL,
  attempt        integer NOT NULL,
  reason         text NOT NULL DEFAULT '',
  withdrawn_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (from_instance, from_case_id, attempt)
);

-- Kind 15: a hand-off refused or cancelled, back at the holder's desk.
ALTER TABLE notice DROP CONSTRAINT notice_kind_check;
ALTER TABLE notice ADD CONSTRAINT notice_kind_check CHECK (kind BETWEEN 1 AND 15);
