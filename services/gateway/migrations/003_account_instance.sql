-- The intake a person works at: '' the district's own (/v1/intake/...), or
-- a department's own instance the gateway reaches ("intake@civil-affairs",
-- the civil affairs bureau's window), whose routes under
-- /v1/instances/<instance>/ only its own people call. An administrator sets
-- it with the account.
ALTER TABLE account ADD COLUMN instance text NOT NULL DEFAULT ''
    CHECK (instance ~ '^([a-z][a-z0-9_-]{0,31}@[a-z0-9][a-z0-9._-]{0,62})?$');
