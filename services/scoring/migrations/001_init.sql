-- Stored analyses. Only completed analyses are written (one INSERT), so a failure stores nothing.
CREATE TABLE analyses (
    id              text PRIMARY KEY,
    owner_id        text NOT NULL,
    coach           text NOT NULL,
    technique       text NOT NULL DEFAULT '',
    video           text NOT NULL,
    status          text NOT NULL,
    overall_score   double precision NOT NULL,
    result          jsonb NOT NULL,
    processing_time double precision NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX analyses_owner_created ON analyses (owner_id, created_at DESC);
CREATE INDEX analyses_coach ON analyses (coach);
