-- 0020 situation (lägesbild): indexes for the situational picture queries.
--
-- Per area: event_areas is read by (area_id, occurred_at) range; this covering index lets the
-- counting pass (kind, category, party) be an index-only scan instead of one heap fetch per row.
CREATE INDEX event_areas_situation_idx ON event_areas (area_id, occurred_at) INCLUDE (kind, category, party_id, event_id);

-- All areas: one time range over events, counting incidents by category/party without the heap.
CREATE INDEX events_situation_idx ON events (occurred_at) INCLUDE (kind, category, party_id) WHERE kind = 'incident';

-- Presence (patrols and activities) inside a hot spot: time range AND spatial overlap in one GiST
-- (btree_gist supplies the timestamptz opclass). Points and tracks separately so the planner can OR them.
CREATE INDEX events_presence_geom_idx ON events USING gist (occurred_at, geom) WHERE kind <> 'incident';
CREATE INDEX events_presence_track_idx ON events USING gist (occurred_at, track)
    WHERE kind <> 'incident' AND track IS NOT NULL;

-- Commitment progress: activities by type over an agreement period.
CREATE INDEX events_activity_type_idx ON events (activity_type, occurred_at) WHERE kind = 'activity';
