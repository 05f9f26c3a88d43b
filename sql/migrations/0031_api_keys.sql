-- 0031 security: API keys (API-nycklar). A key is shown once at creation as
-- estd_<prefix>_<secret>; only the prefix (lookup) and an HMAC-SHA256 of the
-- whole key under the server secret ESTD_KEY_SECRET are stored.

CREATE TABLE api_keys (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  prefix       text NOT NULL,
  secret_hash  bytea NOT NULL,
  party_id     bigint NOT NULL REFERENCES parties (id),
  scopes       text[] NOT NULL,
  name         text,
  description  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  last_used_at timestamptz,
  CONSTRAINT api_keys_prefix_key UNIQUE (prefix),
  CONSTRAINT api_keys_prefix_format CHECK (prefix ~ '^[0-9a-f]{12}$'),
  CONSTRAINT api_keys_hash_length CHECK (octet_length(secret_hash) = 32),
  CONSTRAINT api_keys_scopes_closed CHECK (
    cardinality(scopes) > 0
    AND scopes <@ ARRAY['read', 'read-detail', 'write-events', 'write-commitments', 'admin']::text[]
  ),
  CONSTRAINT api_keys_name_length CHECK (name IS NULL OR char_length(name) BETWEEN 1 AND 200),
  CONSTRAINT api_keys_description_length CHECK (description IS NULL OR char_length(description) <= 2000),
  CONSTRAINT api_keys_revoked_after_created CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);

CREATE INDEX api_keys_party_idx ON api_keys (party_id, id);

COMMENT ON TABLE api_keys IS
    'API-nycklar: bearer keys bound to one party with a closed set of scopes; revoked, never deleted.';
COMMENT ON COLUMN api_keys.prefix IS 'Public lookup part of the key (12 hex digits), safe to log.';
COMMENT ON COLUMN api_keys.secret_hash IS 'HMAC-SHA256 of the whole key under ESTD_KEY_SECRET.';
COMMENT ON COLUMN api_keys.scopes IS
    'read, read-detail (event details/positions), write-events, write-commitments, admin (implies all).';
COMMENT ON COLUMN api_keys.last_used_at IS 'Last successful authentication, updated at most once a minute.';

-- Keys are never deleted, so every audit row keeps pointing at a real key.
ALTER TABLE audit_log
  ADD CONSTRAINT audit_log_key_fk FOREIGN KEY (key_id) REFERENCES api_keys (id);
