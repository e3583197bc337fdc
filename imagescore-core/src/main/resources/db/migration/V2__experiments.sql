-- A/B experiments (imagescore.store.kind=postgresql): versions allocated per (tenant, name) under the row lock of
-- experiments, like regulations.

CREATE TABLE experiments (
    tenant        text    NOT NULL,
    name          text    NOT NULL,
    last_version  integer NOT NULL CHECK (last_version >= 1),
    PRIMARY KEY (tenant, name)
);

CREATE TABLE experiment_versions (
    tenant        text     NOT NULL,
    name          text     NOT NULL,
    version       integer  NOT NULL CHECK (version >= 1),
    created       text     NOT NULL,
    content_hash  text     NOT NULL,
    experiment    text     NOT NULL,                  -- the experiment's canonical JSON
    PRIMARY KEY (tenant, name, version),
    FOREIGN KEY (tenant, name) REFERENCES experiments (tenant, name) ON DELETE CASCADE
);
