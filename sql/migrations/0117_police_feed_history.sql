-- 0117 the Police-feed poller (`estd police-feed poll`, src/app/police_poll.c):
-- its own history of what the feed served, since the API shows only the
-- latest 500 events, and its calls, so the API's rules (at least 10 s
-- between calls, at most 60 an hour, Retry-After, 404 is final) hold across
-- restarts. Events it stores have channel 'poll'; its bad records are dead
-- letters with channel 'poll', one per (source, source_event_id).
-- docs/OPERATIONS.md "Police feed poller".

CREATE TABLE police_feed_records (
  source        text NOT NULL,        -- the CloudEvents source the poller stores under
  feed_id       text NOT NULL,        -- the feed's id; 'md5:' || md5(record) when it has none
  record        jsonb NOT NULL,       -- as first seen (personal identity numbers redacted)
  police_type   text,
  outcome       text NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'skipped_summary', 'dead_letter')),
  reason        text,                 -- the dead letter's reason
  event_id      bigint REFERENCES events (id) ON DELETE SET NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  times_seen    integer NOT NULL DEFAULT 1 CHECK (times_seen >= 1),
  PRIMARY KEY (source, feed_id)
);
COMMENT ON TABLE police_feed_records IS
  'Every record the Police-feed poller saw, once per (source, feed id): outcome, event, first/last seen.';
CREATE INDEX police_feed_records_seen_idx ON police_feed_records (first_seen_at);

CREATE TABLE police_feed_polls (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  url         text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  status      integer NOT NULL,     -- HTTP status; 0 = no answer (network error)
  retry_after_s integer,            -- from a 429's Retry-After
  fetched     integer NOT NULL DEFAULT 0,
  new_records integer NOT NULL DEFAULT 0,
  detail      text
);
COMMENT ON TABLE police_feed_polls IS 'The Police-feed poller''s calls (rate limits across restarts; 404 is final).';
CREATE INDEX police_feed_polls_url_at_idx ON police_feed_polls (url, at);

ALTER TABLE events DROP CONSTRAINT events_channel_check;
ALTER TABLE events ADD CONSTRAINT events_channel_check CHECK (channel IN ('kafka', 'http', 'poll'));
ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_channel_check;
ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_channel_check CHECK (channel IN ('kafka', 'http', 'poll'));
CREATE UNIQUE INDEX dead_letters_poll_key ON dead_letters (source, source_event_id) WHERE channel = 'poll';
