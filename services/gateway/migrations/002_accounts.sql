-- Personal accounts, their sessions and the logs back offices keep. A
-- password is kept only as its Argon2id string (libsodium's
-- crypto_pwhash_str), a session token only as its SHA-256: a copy of these
-- tables lets no one log in. Nothing here is ever deleted by the gateway:
-- an account is disabled, a session ended, so the logs keep naming them.
CREATE TABLE account (
    login text PRIMARY KEY CHECK (login ~ '^[a-z0-9._-]{3,32}$'),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
    staff_id text NOT NULL DEFAULT '' CHECK (staff_id ~ '^[A-Za-z0-9._-]{0,31}$'),
    department_code text NOT NULL DEFAULT '' CHECK (department_code ~ '^[A-Za-z0-9._-]{0,63}$'),
    enabled boolean NOT NULL DEFAULT true,
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    must_change_password boolean NOT NULL DEFAULT true,
    failed_count integer NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);

-- The roles an account holds, in the order given (the first names the
-- person in the services' logs), each with an optional data scope that
-- overrides the role's own ('' = the role's default).
CREATE TABLE account_role (
    login text NOT NULL REFERENCES account ON UPDATE CASCADE,
    position smallint NOT NULL CHECK (position BETWEEN 0 AND 11),
    role text NOT NULL CHECK (role IN ('window_clerk', 'zone_cadre', 'community_staff', 'street_staff',
                                       'department_staff', 'employment_counsellor', 'volunteer_coordinator',
                                       'appraisal_office', 'leader', 'privacy_officer', 'administrator')),
    data_scope text NOT NULL DEFAULT '' CHECK (data_scope IN ('', 'all', 'units', 'own_unit',
                                                              'own_unit_and_below', 'own_records')),
    units text[] NOT NULL DEFAULT '{}' CHECK (cardinality(units) <= 8),
    PRIMARY KEY (login, role),
    UNIQUE (login, position)
);

-- A browser's session. id is public (it names the session in listings and
-- in a forced logout); the token in the cookie is known only by its hash.
CREATE TABLE session (
    id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    login text NOT NULL REFERENCES account ON UPDATE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    idle_expires_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    address text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT '',
    ended_at timestamptz,
    ended_reason text CHECK (ended_reason IN ('logout', 'expired', 'forced', 'disabled', 'password_changed',
                                              'replaced')),
    CHECK ((ended_at IS NULL) = (ended_reason IS NULL))
);
CREATE INDEX session_alive ON session (login) WHERE ended_at IS NULL;

-- Every login attempt: the name as typed (cut to 64 characters), never the
-- password.
CREATE TABLE login_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    login text NOT NULL,
    address text NOT NULL,
    user_agent text NOT NULL,
    result text NOT NULL CHECK (result IN ('ok', 'bad_credentials', 'locked', 'disabled', 'throttled',
                                           'must_change'))
);
CREATE INDEX login_log_login ON login_log (login, id);

-- Every write a person makes through the gateway: who, the action (the
-- route's rpc and its method and path template), the record (the path's
-- values, or the id a create answered with), the result and from where.
CREATE TABLE operation_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    login text NOT NULL,
    staff_id text NOT NULL,
    action text NOT NULL,
    method text NOT NULL,
    route text NOT NULL,
    record text NOT NULL,
    http_status integer NOT NULL,
    status text NOT NULL,
    address text NOT NULL
);
CREATE INDEX operation_log_login ON operation_log (login, id);
CREATE INDEX operation_log_action ON operation_log (action, id);
