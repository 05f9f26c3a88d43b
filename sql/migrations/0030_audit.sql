-- Audit trail (granskningslogg): every write through the API, recorded in the
-- same transaction as the write itself.
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  key_id      bigint,              -- API key used (NULL when auth is off or for CLI/system writes)
  party_id    bigint,              -- party the key is bound to
  request_id  text,
  action      text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'ingest', 'resubmit')),
  entity      text NOT NULL CHECK (entity ~ '^[a-z_]+$'),
  entity_id   bigint,
  before      jsonb,
  after       jsonb
);
COMMENT ON TABLE audit_log IS 'Granskningslogg: who changed what, when, with before and after images.';
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_key_idx ON audit_log (key_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
