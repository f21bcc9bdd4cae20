-- Every epoch of a training job (not only the latest, which training_jobs.progress keeps), so that a
-- watcher (WatchTraining, WS /ws/training) sends each one even when several end between two reads.
-- An epoch run again after a resumed attempt replaces its row.
CREATE TABLE training_epochs (
    job_id      text NOT NULL REFERENCES training_jobs (id) ON DELETE CASCADE,
    epoch       integer NOT NULL CHECK (epoch > 0),
    progress    jsonb NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (job_id, epoch)
);

-- Any change of a job (claimed, an epoch, cancelled, failed, completed) is announced on one channel with
-- the job id, at commit, to every scoring replica that listens (services/scoring/training/changes.py).
CREATE FUNCTION training_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kataforge_training', NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER training_jobs_notify AFTER UPDATE ON training_jobs
    FOR EACH ROW EXECUTE FUNCTION training_job_changed();
