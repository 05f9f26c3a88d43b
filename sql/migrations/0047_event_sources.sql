-- 0047 the source registry: which event sources (CloudEvents `source`) each
-- party may report from. The admission policy (src/domain/admit.c) refuses
-- an event whose (party, source) is not registered and active, on every
-- intake path (`unknown_source`). Managed with /v1/sources (admin) and
-- `estd sources`; archived like the other records (DELETE archives, restore
-- brings it back). docs/EVENTS.md "Sources", docs/SECURITY.md.
CREATE TABLE event_sources (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  party_id    bigint NOT NULL REFERENCES parties (id),
  source      text NOT NULL,
  description text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz,
  version     bigint NOT NULL DEFAULT 1,
  CONSTRAINT event_sources_party_source_key UNIQUE (party_id, source),
  CONSTRAINT event_sources_source_length CHECK (char_length(source) BETWEEN 1 AND 512),
  CONSTRAINT event_sources_version_positive CHECK (version >= 1)
);
COMMENT ON TABLE event_sources IS
  'Källregister: the event sources (CloudEvents source URI) a party reports from; others are refused.';
CREATE INDEX event_sources_source_idx ON event_sources (source) WHERE archived_at IS NULL;
