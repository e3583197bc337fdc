-- imagescore state store (imagescore.store.kind=postgresql): prompt sets, regulations, fitted head files.
-- Version numbers are allocated per (tenant, name) / (pack, head) under a row lock or a primary key, so two replicas
-- never hand out the same number. Every change is announced with NOTIFY imagescore_state (see store/pg/PgChanges).

CREATE TABLE prompt_sets (
    tenant          text    NOT NULL,
    name            text    NOT NULL,
    last_version    integer NOT NULL CHECK (last_version >= 1),
    active_version  integer NOT NULL CHECK (active_version >= 1),
    PRIMARY KEY (tenant, name)
);

CREATE TABLE prompt_set_versions (
    tenant        text        NOT NULL,
    name          text        NOT NULL,
    version       integer     NOT NULL CHECK (version >= 1),
    created       text        NOT NULL,
    notes         text        NOT NULL DEFAULT '',
    content_hash  text        NOT NULL,
    spec          text        NOT NULL,             -- the prompt set's canonical JSON
    PRIMARY KEY (tenant, name, version),
    FOREIGN KEY (tenant, name) REFERENCES prompt_sets (tenant, name) ON DELETE CASCADE
);

CREATE TABLE regulations (
    tenant        text    NOT NULL,
    name          text    NOT NULL,
    last_version  integer NOT NULL CHECK (last_version >= 1),
    PRIMARY KEY (tenant, name)
);

CREATE TABLE regulation_versions (
    tenant      text     NOT NULL,
    name        text     NOT NULL,
    version     integer  NOT NULL CHECK (version >= 1),
    created_at  text     NOT NULL,
    regulation  text     NOT NULL,                  -- the regulation's JSON
    PRIMARY KEY (tenant, name, version),
    FOREIGN KEY (tenant, name) REFERENCES regulations (tenant, name) ON DELETE CASCADE
);

CREATE TABLE head_versions (
    pack        text        NOT NULL,
    head        text        NOT NULL,
    version     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pack, head, version)
);

CREATE TABLE head_files (
    pack       text   NOT NULL,
    head       text   NOT NULL,
    version    text   NOT NULL,
    file_name  text   NOT NULL CHECK (file_name <> '' AND file_name NOT LIKE '.%' AND position('/' in file_name) = 0),
    content    bytea  NOT NULL,
    sha256     text   NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (pack, head, version, file_name),
    FOREIGN KEY (pack, head, version) REFERENCES head_versions (pack, head, version) ON DELETE CASCADE
);
