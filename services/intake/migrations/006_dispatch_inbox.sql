-- What the peers thread learned from the volunteer registry (its answers to
-- our offers, and its dispatch events), waiting for the service loop to
-- apply it to the cases. The thread writes only here and in the reference
-- tables, so case rows and intake's event log have one writer.
CREATE TABLE dispatch_inbox (
  id          bigserial PRIMARY KEY,
  case_id     bigint NOT NULL,
  attempt     int NOT NULL,
  kind        smallint NOT NULL,       -- 1 the registry's dispatch, 2 no provider, 3 cancelled
  dispatch    bytea,                   -- sifang.v1.VolunteerDispatch
  message     text NOT NULL DEFAULT '',
  received_at timestamptz NOT NULL DEFAULT now()
);
