-- The score store's shared tier (imagescore.score-store.shared): results every replica can serve, behind each
-- replica's own memory tier. Keyed by the sha256 of the whole ScoreKey (its fields can be longer than a btree entry
-- may be); the fields are stored too and compared on every read, so only an exact key match is served.
-- Bounded: the oldest rows are deleted once the sum of result_bytes passes the configured bound.

CREATE TABLE score_results (
    key_sha256     text        PRIMARY KEY CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
    tenant         text        NOT NULL,
    image_sha256   text        NOT NULL,
    pack_hash      text        NOT NULL,
    selection      text        NOT NULL,             -- head/prompt-set versions, embedding, explain
    preprocessing  text        NOT NULL,
    result         bytea       NOT NULL,             -- the ScoredImage as JSON (exact for every float and double)
    result_bytes   integer     NOT NULL,
    stored_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX score_results_stored_at ON score_results (stored_at);
