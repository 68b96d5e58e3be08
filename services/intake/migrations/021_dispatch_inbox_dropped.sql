-- A row of the dispatch inbox that could not be applied to its case (a
-- case gone, a constraint the step broke: a bug) is not thrown away: it is
-- kept here with why, in the transaction that took it from the inbox, so
-- the registry's answer is never lost without a trace. The rows after it go
-- on. An operator who has mended the cause puts a row back with
--   INSERT INTO dispatch_inbox (case_id, attempt, kind, dispatch, message)
--   SELECT case_id, attempt, kind, dispatch, message FROM dispatch_inbox_dropped WHERE id = ...;
-- (docs/circle.md, "When the registry's answer cannot be applied").
CREATE TABLE dispatch_inbox_dropped (
  id          bigint PRIMARY KEY,      -- the inbox row's id
  case_id     bigint NOT NULL,
  attempt     int NOT NULL,
  kind        smallint NOT NULL,
  dispatch    bytea,
  message     text NOT NULL,
  received_at timestamptz NOT NULL,
  status      text NOT NULL,           -- the step's status name, e.g. NOT_FOUND
  reason      text NOT NULL,
  dropped_at  timestamptz NOT NULL DEFAULT now()
);
