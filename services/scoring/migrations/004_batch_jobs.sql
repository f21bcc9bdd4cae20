-- Durable batch jobs (POST /batch/submit; services/scoring/batch_jobs.py). The queue itself is PgQueuer's
-- (its tables are installed beside these at start); these rows are what the user sees and what makes a
-- retried video store nothing twice: each item's analysis id is fixed at submission, so a worker that
-- dies after storing the analysis and before marking the item leaves a retry that finds it stored.
CREATE TABLE batch_jobs (
    id           text PRIMARY KEY,
    owner_id     text NOT NULL,
    -- The caller as the edge verified them (services.kit.context.Principal JSON): the worker acts as them.
    principal    jsonb NOT NULL,
    -- queued, processing, completed, completed_with_errors, failed, cancelled
    status       text NOT NULL,
    device       text NOT NULL DEFAULT 'auto',
    body_mass_kg double precision NOT NULL DEFAULT 0,
    total        integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX batch_jobs_owner_created ON batch_jobs (owner_id, created_at DESC, id DESC);

CREATE TABLE batch_items (
    batch_id        text NOT NULL REFERENCES batch_jobs (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    video           text NOT NULL,           -- the label shown: a URL or "base64 video (N bytes)"
    url             text NOT NULL DEFAULT '',
    data            bytea,                   -- an inline video until its analysis ends, then dropped
    coach           text NOT NULL,
    technique       text NOT NULL DEFAULT '',
    metadata        jsonb NOT NULL DEFAULT '{}',
    -- queued, processing, completed, failed, cancelled
    status          text NOT NULL DEFAULT 'queued',
    analysis_id     text NOT NULL UNIQUE,    -- reserved at submission
    score           double precision,
    error           jsonb,
    processing_time double precision NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 0,
    worker          text NOT NULL DEFAULT '',
    started_at      timestamptz,
    finished_at     timestamptz,
    PRIMARY KEY (batch_id, position)
);

-- An Idempotency-Key of POST /batch/submit points to its batch (one of POST /analyze to its analysis).
ALTER TABLE idempotency_keys ADD COLUMN batch_id text REFERENCES batch_jobs (id) ON DELETE CASCADE;
