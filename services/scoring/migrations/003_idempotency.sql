-- Idempotency-Key of POST /analyze (services/scoring/idempotency.py): per caller and key, the hash of the
-- request it came with and, once done, the analysis it produced. A row without an analysis is a request
-- still running (or one whose process died: taken over after idempotency.STALE_SECONDS).
CREATE TABLE idempotency_keys (
    owner_id     text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    analysis_id  text REFERENCES analyses (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, key)
);
