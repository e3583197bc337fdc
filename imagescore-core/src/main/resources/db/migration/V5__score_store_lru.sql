-- The score store's shared tier, evicting least-recently-used and never above its bound:
-- * last_used: when a row was stored or last served (touched at most once a minute per row, so reads stay cheap);
--   eviction drops the least recently used rows first.
-- * score_results_usage: the exact sum of result_bytes, changed in the same transaction as every insert and eviction.
--   Writers lock its one row first, so they take turns and each sees the true total: a writer that would pass the
--   bound evicts within its own transaction, and no committed state holds more than the bound.

ALTER TABLE score_results ADD COLUMN last_used timestamptz;
UPDATE score_results SET last_used = stored_at;
ALTER TABLE score_results ALTER COLUMN last_used SET NOT NULL, ALTER COLUMN last_used SET DEFAULT clock_timestamp();
DROP INDEX score_results_stored_at;
CREATE INDEX score_results_last_used ON score_results (last_used, key_sha256);

CREATE TABLE score_results_usage (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    bytes bigint  NOT NULL CHECK (bytes >= 0)
);
INSERT INTO score_results_usage (one, bytes) SELECT true, coalesce(sum(result_bytes), 0) FROM score_results;
