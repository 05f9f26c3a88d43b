-- Events (händelser): incidents, patrols and activities reported by the
-- partners, ingested from Kafka or the HTTP intake. (source, source_event_id)
-- is the producer's idempotency key: a re-sent event is never stored twice.

CREATE TABLE event_categories (
  code      text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
  label_sv  text NOT NULL,
  label_en  text NOT NULL,
  ordinal   int  NOT NULL
);
COMMENT ON TABLE event_categories IS 'Closed list of incident categories (händelsekategorier), Swedish and English labels.';

INSERT INTO event_categories (code, label_sv, label_en, ordinal) VALUES
  ('skadegorelse',          'Skadegörelse',                    'Vandalism / criminal damage',        1),
  ('klotter',               'Klotter',                         'Graffiti',                           2),
  ('brand',                 'Brand',                           'Fire / arson',                       3),
  ('nedskrapning',          'Nedskräpning',                    'Littering',                          4),
  ('ordningsstorning',      'Ordningsstörning',                'Public disorder',                    5),
  ('otrygghetsskapande_samling', 'Otrygghetsskapande samling', 'Gathering causing insecurity',       6),
  ('narkotika',             'Narkotika',                       'Drugs',                              7),
  ('hot_och_vald',          'Hot och våld',                    'Threats and violence',               8),
  ('hot_vald_mot_anstalld', 'Hot/våld mot anställd',           'Threats/violence against employee',  9),
  ('inbrott_och_stold',     'Inbrott och stöld',               'Burglary and theft',                10),
  ('olovlig_korning',       'Olovlig körning',                 'Unlawful driving',                  11),
  ('bristande_belysning',   'Bristande belysning',             'Insufficient lighting',             12),
  ('otrygg_plats',          'Otrygg plats',                    'Unsafe place',                      13),
  ('ovrigt',                'Övrigt',                          'Other',                             14);

CREATE TABLE events (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source           text NOT NULL CHECK (char_length(source) BETWEEN 1 AND 512),
  source_event_id  text NOT NULL CHECK (char_length(source_event_id) BETWEEN 1 AND 256),
  party_id         bigint NOT NULL REFERENCES parties (id),
  kind             text NOT NULL CHECK (kind IN ('incident', 'patrol', 'activity')),
  -- activity subtype (aktivitet): trygghetsvandring, informationstillfalle
  -- (medborgarmöte/informationstillfälle), operativ_insats, grannsamverkan,
  -- natverksgrupp (lokal nätverksgrupp meeting), other
  activity_type    text CHECK (activity_type IN ('trygghetsvandring', 'informationstillfalle', 'operativ_insats',
                                                 'grannsamverkan', 'natverksgrupp', 'other')),
  category         text REFERENCES event_categories (code),
  occurred_at      timestamptz NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now(),
  duration_s       integer CHECK (duration_s IS NULL OR duration_s BETWEEN 0 AND 7 * 86400),
  geom             geometry(Point, 4326) CHECK (geom IS NULL OR (ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90)),
  track            geometry(LineString, 4326),
  place_name       text CHECK (place_name IS NULL OR char_length(place_name) <= 512),
  area_ids         bigint[] NOT NULL DEFAULT '{}',
  description      text CHECK (description IS NULL OR char_length(description) <= 4000),
  attributes       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
  flags            text[] NOT NULL DEFAULT '{}',
  channel          text NOT NULL CHECK (channel IN ('kafka', 'http')),
  CONSTRAINT events_source_id_key UNIQUE (source, source_event_id),
  CONSTRAINT events_incident_has_category CHECK (kind <> 'incident' OR category IS NOT NULL),
  CONSTRAINT events_activity_has_type CHECK (kind <> 'activity' OR activity_type IS NOT NULL)
);
COMMENT ON TABLE events IS 'Händelser: incidents (incidenter), patrols (patrulleringar/närvaro) and activities (aktiviteter).';
COMMENT ON COLUMN events.area_ids IS 'Areas the event falls in, assigned by PostGIS point-in-polygon at intake (empty: outside every area).';
CREATE INDEX events_occurred_idx ON events (occurred_at, id);
CREATE INDEX events_party_idx ON events (party_id, occurred_at);
CREATE INDEX events_geom_idx ON events USING gist (geom);

-- One row per (event, area) it falls in, with the columns the situational
-- picture aggregates on: lets a per-area, per-week query read one narrow
-- index range instead of the whole events table.
CREATE TABLE event_areas (
  event_id     bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  area_id      bigint NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
  occurred_at  timestamptz NOT NULL,
  kind         text NOT NULL,
  category     text,
  party_id     bigint NOT NULL,
  PRIMARY KEY (area_id, occurred_at, event_id)
);
CREATE INDEX event_areas_event_idx ON event_areas (event_id);
