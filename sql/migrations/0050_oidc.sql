-- 0050 OpenID Connect (issue 14): the audit trail records the token's subject
-- and issuer for writes made with a JWT or a web session; pending sign-ins
-- (authorization code + PKCE) and web sessions live here so that every estd
-- instance shares them.

ALTER TABLE audit_log
  ADD COLUMN sub text,
  ADD COLUMN iss text,
  ADD CONSTRAINT audit_log_sub_length CHECK (sub IS NULL OR char_length(sub) BETWEEN 1 AND 255),
  ADD CONSTRAINT audit_log_iss_length CHECK (iss IS NULL OR char_length(iss) BETWEEN 1 AND 1024),
  ADD CONSTRAINT audit_log_sub_with_iss CHECK ((sub IS NULL) = (iss IS NULL));
COMMENT ON COLUMN audit_log.sub IS 'OpenID Connect subject (sub) of the token or web session that wrote; NULL for API keys.';
COMMENT ON COLUMN audit_log.iss IS 'Issuer (iss) that vouched for sub.';
CREATE INDEX audit_log_sub_idx ON audit_log (iss, sub, id) WHERE sub IS NOT NULL;

-- One row per authorization request sent to the provider; taken (deleted)
-- exactly once by the callback, so a state cannot be replayed.
CREATE TABLE oidc_logins (
  state         text PRIMARY KEY,
  nonce         text NOT NULL,
  code_verifier text NOT NULL,
  return_to     text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  CONSTRAINT oidc_logins_state_format CHECK (state ~ '^[A-Za-z0-9_-]{43}$'),
  CONSTRAINT oidc_logins_nonce_format CHECK (nonce ~ '^[A-Za-z0-9_-]{43}$'),
  CONSTRAINT oidc_logins_verifier_format CHECK (code_verifier ~ '^[A-Za-z0-9_-]{43,128}$'),
  CONSTRAINT oidc_logins_return_to_local CHECK (return_to ~ '^/app/' AND char_length(return_to) <= 1024),
  CONSTRAINT oidc_logins_expiry CHECK (expires_at > created_at)
);
CREATE INDEX oidc_logins_expires_idx ON oidc_logins (expires_at);
COMMENT ON TABLE oidc_logins IS 'Pending web sign-ins: state -> nonce, PKCE code_verifier, return_to (single use, 10 minutes).';

-- Web sessions (backend-for-frontend): the browser holds only a random
-- cookie; its SHA-256 is stored. The principal (party, scopes) is fixed at
-- sign-in from the verified access token. Sign-out sets ended_at.
CREATE TABLE web_sessions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash  bytea NOT NULL,
  csrf_token  text NOT NULL,
  sub         text NOT NULL,
  iss         text NOT NULL,
  name        text,
  party_id    bigint NOT NULL REFERENCES parties (id),
  scopes      text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  CONSTRAINT web_sessions_token_hash_key UNIQUE (token_hash),
  CONSTRAINT web_sessions_token_hash_length CHECK (octet_length(token_hash) = 32),
  CONSTRAINT web_sessions_csrf_format CHECK (csrf_token ~ '^[A-Za-z0-9_-]{43}$'),
  CONSTRAINT web_sessions_sub_length CHECK (char_length(sub) BETWEEN 1 AND 255),
  CONSTRAINT web_sessions_iss_length CHECK (char_length(iss) BETWEEN 1 AND 1024),
  CONSTRAINT web_sessions_name_length CHECK (name IS NULL OR char_length(name) <= 200),
  CONSTRAINT web_sessions_scopes_closed CHECK (
    cardinality(scopes) > 0
    AND scopes <@ ARRAY['read', 'read-detail', 'write-events', 'write-commitments', 'admin']::text[]
  ),
  CONSTRAINT web_sessions_expiry CHECK (expires_at > created_at),
  CONSTRAINT web_sessions_ended_after_created CHECK (ended_at IS NULL OR ended_at >= created_at)
);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);
COMMENT ON TABLE web_sessions IS 'Web sign-in sessions (estd_session cookie, hashed); shared by all estd instances.';
