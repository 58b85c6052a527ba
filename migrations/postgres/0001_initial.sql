-- Clusters, their host ports, user templates and operations. Each row keeps the full
-- resource as encoded protobuf (`body`) plus the columns lkm filters, sorts or enforces
-- uniqueness on.
CREATE TABLE clusters (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    status        BIGINT NOT NULL,
    environment   TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    body          BYTEA NOT NULL
);

-- One row per claimed host port: the primary key makes a port belong to one cluster.
CREATE TABLE port_allocations (
    port       BIGINT PRIMARY KEY,
    cluster_id TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    role       TEXT NOT NULL
);
CREATE INDEX port_allocations_cluster ON port_allocations (cluster_id);

CREATE TABLE templates (
    id            TEXT PRIMARY KEY,
    category      BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    body          BYTEA NOT NULL
);

CREATE TABLE operations (
    id                TEXT PRIMARY KEY,
    operation_type    BIGINT NOT NULL,
    status            BIGINT NOT NULL,
    source_cluster_id TEXT NOT NULL,
    created_at_ms     BIGINT NOT NULL,
    body              BYTEA NOT NULL
);
CREATE INDEX operations_status ON operations (status);
