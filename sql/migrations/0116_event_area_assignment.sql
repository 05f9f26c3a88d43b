-- 0116 which areas an event is assigned to, by the precision of its
-- position (events.location_precision, 0080), in one place for every path
-- that assigns (intake, and re-assignment when areas change):
--   point, street (or NULL: rows before 0080) -> every area the point lies in
--                                               (or the patrol track crosses);
--   district     -> only the district areas at the point (the geocoder puts
--                   a district-precision event on a point inside the district
--                   it named; no hot spot, no smaller area);
--   municipality, county -> none (a centroid: counted in the whole
--                   municipality's totals only).
-- An SQL function of one SELECT, inlined by the planner (same plan as the
-- expression it replaces: the GiST index of areas).
CREATE FUNCTION est_event_area_ids(g geometry, prec text) RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN prec IN ('municipality', 'county') THEN '{}'::bigint[] ELSE
    COALESCE((SELECT array_agg(a.id ORDER BY a.id) FROM areas a
              WHERE ST_Intersects(a.geom, g) AND (prec IS DISTINCT FROM 'district' OR a.kind = 'district')),
             '{}'::bigint[]) END
$$;
COMMENT ON FUNCTION est_event_area_ids(geometry, text) IS
  'The areas an event at g (point or track) with location precision prec is assigned to (migration 0116).';
