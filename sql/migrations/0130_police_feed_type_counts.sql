-- 0130 how many new records of each feed type the Police-feed poller took in,
-- and how estd's type list maps the type (src/domain/police_feed.c): the
-- source of the estd_police_feed_* metrics on /metrics (docs/OPERATIONS.md
-- "Police feed poller"), which every estd serving the API samples, since
-- the poller is a process of its own. One row per type (the list's
-- spelling; an unlisted type as the feed spells it), counted in the
-- transaction that stores the records; retention leaves it alone, so the
-- counts only grow.
CREATE TABLE police_feed_type_counts (
  police_type   text PRIMARY KEY CHECK (length(police_type) BETWEEN 1 AND 200),
  mapping       text NOT NULL CHECK (mapping IN ('mapped', 'unmapped', 'summary', 'unknown')),
  records       bigint NOT NULL DEFAULT 0 CHECK (records >= 0),
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE police_feed_type_counts IS
  'New Police-feed poller records per feed type and its mapping (estd_police_feed_* metrics).';
