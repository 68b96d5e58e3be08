-- Return visits of cases a station dispatched itself to a provider of the
-- directory (the case names the provider by its id, S000042), rated on the
-- provider once per case: what was rated, so that a case reopened for
-- rework and closed again is not counted twice. (A case the registry's own
-- dispatch served is rated on the dispatch: dispatch.satisfaction.)
CREATE TABLE case_rating (
  source          text COLLATE "C" NOT NULL,   -- the intake instance
  case_id         bigint NOT NULL,
  provider_serial bigint NOT NULL REFERENCES provider (serial),
  satisfaction    smallint NOT NULL CHECK (satisfaction BETWEEN 1 AND 5),
  rated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, case_id)
);
