-- API keys: only a SHA-256 hash of each secret is kept; the key itself is
-- shown once at creation. Each maps to the principal the gateway names to
-- the services, and carries its own rate limit.
CREATE TABLE api_key (
    id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{12}$'),
    hash bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    principal_id text NOT NULL CHECK (principal_id ~ '^[A-Za-z0-9._@-]{1,63}$'),
    role text NOT NULL CHECK (role IN ('admin', 'district', 'street', 'community', 'department',
                                       'gateway', 'service', 'viewer')),
    scope text NOT NULL DEFAULT '' CHECK (scope ~ '^[A-Za-z0-9._-]{0,63}$'),
    rate_per_second double precision NOT NULL CHECK (rate_per_second > 0 AND rate_per_second <= 100000),
    burst integer NOT NULL CHECK (burst >= 1 AND burst <= 1000000),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz,
    requests bigint NOT NULL DEFAULT 0
);
