-- Training jobs (durable: a restarted scoring process resumes them), their logs, and the model
-- registry of trained models (ONNX bytes in the row, so every replica sees them without a shared disk).
CREATE TABLE training_jobs (
    id              text PRIMARY KEY,
    owner_id        text NOT NULL,
    coach           text NOT NULL,
    model_type      text NOT NULL,
    -- As given: a folder relative to the datasets root, or references:<coach_id>.
    data_dir        text NOT NULL,
    epochs          integer NOT NULL CHECK (epochs > 0),
    batch_size      integer NOT NULL CHECK (batch_size > 0),
    learning_rate   double precision NOT NULL CHECK (learning_rate > 0),
    device          text NOT NULL,
    -- Relative to the checkpoints root, so replicas may mount it at different places.
    checkpoint_dir  text NOT NULL,
    resume_from     text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('queued', 'in_progress', 'completed', 'failed', 'cancelled')),
    -- Latest epoch report: current_epoch, total_epochs, losses, accuracies.
    progress        jsonb,
    -- Measured epoch times (all attempts), for estimated_completion.
    epoch_seconds   double precision NOT NULL DEFAULT 0,
    epochs_timed    integer NOT NULL DEFAULT 0,
    progress_at     timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    error           text NOT NULL DEFAULT '',
    model_version   integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX training_jobs_active ON training_jobs (created_at) WHERE status IN ('queued', 'in_progress');
-- Two live jobs writing epochs into one folder would resume from each other's checkpoints.
CREATE UNIQUE INDEX training_jobs_live_checkpoint_dir ON training_jobs (checkpoint_dir)
    WHERE status IN ('queued', 'in_progress');
CREATE INDEX training_jobs_owner ON training_jobs (owner_id, created_at DESC);

CREATE TABLE training_logs (
    id          bigserial PRIMARY KEY,
    job_id      text NOT NULL REFERENCES training_jobs (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    level       text NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    message     text NOT NULL
);
CREATE INDEX training_logs_job ON training_logs (job_id, id);

-- coach '' holds models of the project itself; versions count up per (coach, model_type).
CREATE TABLE trained_models (
    coach        text NOT NULL,
    model_type   text NOT NULL,
    version      integer NOT NULL CHECK (version > 0),
    onnx         bytea NOT NULL,
    manifest     jsonb NOT NULL,
    training_id  text REFERENCES training_jobs (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (coach, model_type, version)
);

-- Data snapshotted at submission when a job trains on a coach's registered references: one JSON pose
-- sequence per reference, so every attempt (on any replica) trains on the same samples.
CREATE TABLE training_inputs (
    job_id  text NOT NULL REFERENCES training_jobs (id) ON DELETE CASCADE,
    name    text NOT NULL,
    body    bytea NOT NULL,
    PRIMARY KEY (job_id, name)
);
