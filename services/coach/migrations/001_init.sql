-- Coaches: one row per registered coach; owner_id is the user id of the account that registered it.
CREATE TABLE coaches (
    id                  text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_-]{1,63}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    style               text NOT NULL CHECK (length(style) BETWEEN 1 AND 100),
    rank                text CHECK (length(rank) <= 100),
    years_experience    integer CHECK (years_experience BETWEEN 0 AND 100),
    teachers            text[] NOT NULL DEFAULT '{}',
    techniques          text[] NOT NULL DEFAULT '{}',
    teaching_philosophy jsonb CHECK (teaching_philosophy IS NULL OR jsonb_typeof(teaching_philosophy) = 'object'),
    owner_id            text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- "My coach entries" lookups by the owning account.
CREATE INDEX coaches_owner_id_idx ON coaches (owner_id);
