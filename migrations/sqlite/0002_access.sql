-- Access control: grants of actions on clusters to principals, API tokens (only hashes of
-- their secrets), and the audit log.
CREATE TABLE grants (
    id            TEXT PRIMARY KEY,
    principal     TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    body          BLOB NOT NULL
);
CREATE INDEX grants_principal ON grants (principal);

CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    principal     TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    body          BLOB NOT NULL
);
CREATE INDEX tokens_principal ON tokens (principal);

CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    time_ms     BIGINT NOT NULL,
    principal   TEXT NOT NULL,
    cluster_ids TEXT NOT NULL,
    body        BLOB NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (time_ms);
