-- Reference performances: a coach's own execution of a technique, kept as a serialized
-- kataforge.common.v1.PoseSequence. Removed with their coach.
CREATE TABLE reference_performances (
    id              text PRIMARY KEY CHECK (id ~ '^ref_[0-9a-f]{24}$'),
    coach_id        text NOT NULL REFERENCES coaches (id) ON DELETE CASCADE,
    technique       text NOT NULL CHECK (technique ~ '^[a-z][a-z0-9_]{0,63}$'),
    name            text CHECK (length(name) BETWEEN 1 AND 200),
    source          text NOT NULL CHECK (source IN ('video', 'pose_sequence')),
    fps             double precision NOT NULL CHECK (fps > 0),
    frame_count     integer NOT NULL CHECK (frame_count > 0),
    detected_frames integer NOT NULL CHECK (detected_frames BETWEEN 0 AND frame_count),
    duration_ms     double precision NOT NULL CHECK (duration_ms >= 0),
    body_mass_kg    double precision CHECK (body_mass_kg BETWEEN 20 AND 300),
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    poses           bytea NOT NULL
);

-- "This coach's references for this technique, newest first" (listings and the scoring service).
CREATE INDEX reference_performances_coach_technique_idx
    ON reference_performances (coach_id, technique, created_at DESC);
