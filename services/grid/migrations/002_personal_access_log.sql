-- The audit of personal data shown in the clear on purpose: one row per
-- ResidentReveal and per page of ResidentExport, written in the transaction
-- that read the data, so there is no reveal without its row. Rows are never
-- updated or deleted by the service.
CREATE TABLE personal_access_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  account      text NOT NULL DEFAULT '',
  roles        text[] NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('reveal', 'export')),
  method       text NOT NULL,
  request_id   text NOT NULL,
  resident_ids text[] NOT NULL DEFAULT '{}',
  filter       text NOT NULL DEFAULT '',
  row_count    integer NOT NULL CHECK (row_count >= 0),
  reason       text NOT NULL CHECK (char_length(reason) BETWEEN 2 AND 200)
);
CREATE INDEX personal_access_log_at ON personal_access_log (at, id);
CREATE INDEX personal_access_log_actor ON personal_access_log (actor, id);
CREATE INDEX personal_access_log_residents ON personal_access_log USING gin (resident_ids);
