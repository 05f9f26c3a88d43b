-- 0141 the area assignment of an event as a set the planner can inline
-- (issue 13, intake near COPY; src/store/events.c EV_WITH, docs/BENCHMARKS.md).
-- est_event_area_ids (0116) is a scalar SQL function with a subquery: the
-- planner cannot inline it, so the intake paid a function executor start
-- per event (~7 % of the backend). The rule moves into a set-returning SQL
-- function, which the planner inlines into a LATERAL join of the intake
-- statement (a rescan of the GiST probe per event instead);
-- est_event_area_ids stays for SQL callers and is defined by the same rule.
CREATE FUNCTION est_event_area_set(g geometry, prec text) RETURNS TABLE (area_id bigint)
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT a.id FROM areas a
  WHERE COALESCE(prec NOT IN ('municipality', 'county'), true)
    AND ST_Intersects(a.geom, g) AND (prec IS DISTINCT FROM 'district' OR a.kind = 'district')
$$;
COMMENT ON FUNCTION est_event_area_set(geometry, text) IS
  'The areas an event at g (point or track) with location precision prec is assigned to (0116 rule; 0141).';

CREATE OR REPLACE FUNCTION est_event_area_ids(g geometry, prec text) RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT COALESCE((SELECT array_agg(s.area_id ORDER BY s.area_id) FROM est_event_area_set(g, prec) s), '{}'::bigint[])
$$;
