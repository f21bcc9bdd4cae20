-- Auth schema: users, signing keys, refresh-token families, login throttle, reset tokens, API keys.
-- gen_random_uuid() is built into PostgreSQL 13+.

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username      text NOT NULL,
    email         text,                       -- NULL for operator-created admins without one
    full_name     text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('admin', 'coach', 'student')),
    password_hash text NOT NULL,              -- argon2id encoded hash (parameters inside)
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness, so "Admin" cannot impersonate "admin".
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;

-- RS256 signing keys, shared by every replica. At most one is active (the partial unique index
-- is the last line of defence behind the advisory lock taken when a key is created).
CREATE TABLE signing_keys (
    kid         text PRIMARY KEY,             -- RFC 7638 JWK thumbprint
    private_pem text NOT NULL,
    n           text NOT NULL,                -- base64url modulus
    e           text NOT NULL,                -- base64url exponent
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true)) WHERE active;

-- A family is one login session; every rotation adds a token to it, reuse revokes all of it.
CREATE TABLE refresh_families (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    revoke_reason text
);
CREATE INDEX refresh_families_user ON refresh_families (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,             -- SHA-256 of the opaque token
    family_id  uuid NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Failed logins per (lower-cased) username, known or not, in a fixed window from the first failure.
CREATE TABLE login_throttle (
    username_key text PRIMARY KEY,
    failures     integer NOT NULL,
    window_start timestamptz NOT NULL
);

CREATE TABLE password_resets (
    token_hash bytea PRIMARY KEY,             -- SHA-256 of the emailed token
    user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id) WHERE used_at IS NULL;

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL UNIQUE,        -- shown in clear, used to find the row
    key_hash     bytea NOT NULL,              -- SHA-256 of the full key
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);
