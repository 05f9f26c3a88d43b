-- Pure-SQL check of the foundation schema (sql/migrations/0001-0006) and the Borås seed
-- (sql/seed/0001_boras.sql). Run against a database where the migrations and the seed have been
-- applied (freshly, with no other data), e.g.:
--   psql -X -v ON_ERROR_STOP=1 -1 -f tests/sql/0001_boras_seed_check.sql
-- Any failed assertion raises an exception (non-zero exit with ON_ERROR_STOP). Makes no lasting
-- changes: the constraint probes run in sub-transactions that are always rolled back.
-- Idempotency (seed run twice changes nothing) needs two seed runs and is checked by the runner.

DO $check$
DECLARE
    n bigint;
    t text;
BEGIN
    -- ------------------------------------------------------------------ counts
    SELECT count(*) INTO n FROM parties;            ASSERT n = 3,  format('parties = %s, want 3', n);
    SELECT count(*) INTO n FROM agreements;         ASSERT n = 2,  format('agreements = %s, want 2', n);
    SELECT count(*) INTO n FROM agreement_parties;  ASSERT n = 5,  format('agreement_parties = %s, want 5', n);
    SELECT count(*) INTO n FROM cooperation_areas;  ASSERT n = 3,  format('cooperation_areas = %s, want 3', n);
    SELECT count(*) INTO n FROM areas;              ASSERT n = 8,  format('areas = %s, want 8', n);
    SELECT count(*) INTO n FROM areas WHERE kind = 'district';               ASSERT n = 6, 'districts';
    SELECT count(*) INTO n FROM areas WHERE kind = 'sarskilt_utsatt_omrade'; ASSERT n = 2, 'särskilt utsatta områden';
    SELECT count(*) INTO n FROM commitments;        ASSERT n = 33, format('commitments = %s, want 33', n);
    SELECT count(*) INTO n FROM commitment_parties; ASSERT n = 37, format('commitment_parties = %s, want 37', n);
    SELECT count(*) INTO n FROM commitment_areas;   ASSERT n = 32, format('commitment_areas = %s, want 32', n);
    SELECT count(*) INTO n FROM area_focuses;       ASSERT n = 11, format('area_focuses = %s, want 11', n);
    SELECT count(*) INTO n FROM commitments WHERE status <> 'planned'; ASSERT n = 0, 'all seeded commitments planned';

    -- commitments per party per agreement
    SELECT string_agg(format('%s/%s=%s', ag, pa, c), ' ' ORDER BY ag, pa) INTO t
    FROM (SELECT a.code ag, p.code pa, count(*) c
          FROM commitments cm JOIN agreements a ON a.id = cm.agreement_id
          JOIN commitment_parties cp ON cp.commitment_id = cm.id JOIN parties p ON p.id = cp.party_id
          GROUP BY 1, 2) s;
    ASSERT t = 'boras-polisen-2018-2020/boras-stad=15 boras-polisen-2018-2020/polisen-boras=12 '
            || 'medborgarlofte-hassleholmen-hulta-norrby-2018/ab-bostader=2 '
            || 'medborgarlofte-hassleholmen-hulta-norrby-2018/boras-stad=2 '
            || 'medborgarlofte-hassleholmen-hulta-norrby-2018/polisen-boras=6',
           'commitments per party per agreement: ' || t;

    -- commitments per cooperation area (4+6, 4+3, 4+6; medborgarlöfte has none)
    SELECT string_agg(format('%s=%s', coalesce(ca.code, '-'), c), ' ' ORDER BY ca.code NULLS LAST) INTO t
    FROM (SELECT cooperation_area_id, count(*) c FROM commitments GROUP BY 1) s
    LEFT JOIN cooperation_areas ca ON ca.id = s.cooperation_area_id;
    ASSERT t = 'so-1=10 so-2=7 so-3=10 -=6', 'commitments per cooperation area: ' || t;

    -- machine-readable targets
    SELECT string_agg(format('%s:%s:%s:%s:%s:%s:%s', code, target_value, target_unit, target_comparison,
                             target_per, target_from, target_to), ' ' ORDER BY code) INTO t
    FROM commitments WHERE target_value IS NOT NULL;
    ASSERT t = 'ml-3:4:operative_action:at_least:period:2018-01-01:2019-01-31 '
            || 'ml-5:4:information_meeting:at_least:period:2018-01-01:2019-01-31 '
            || 'so-1-polisen-1:9:network_group:at_least:period:2018-01-01:2020-12-31 '
            || 'so-2-boras-stad-3:1:trygghetsvandring:at_least:year:2018-01-01:2020-12-31',
           'targets: ' || t;

    -- commitment ↔ area links
    SELECT string_agg(format('%s=%s', ar.code, c), ' ' ORDER BY ar.code) INTO t
    FROM (SELECT area_id, count(*) c FROM commitment_areas GROUP BY 1) s JOIN areas ar ON ar.id = s.area_id;
    ASSERT t = 'hassleholmen=9 hulta=9 kristineberg=1 norrby=11 sjobo=2', 'commitment_areas per area: ' || t;
    SELECT string_agg(ar.code, ',' ORDER BY ar.code) INTO t
    FROM commitment_areas x JOIN commitments c ON c.id = x.commitment_id JOIN areas ar ON ar.id = x.area_id
    WHERE c.code = 'ml-2';
    ASSERT t = 'norrby', 'ml-2 (uniformerad synlighet på Norrby) → norrby: ' || coalesce(t, '<none>');
    SELECT string_agg(ar.code, ',' ORDER BY ar.code) INTO t
    FROM commitment_areas x JOIN commitments c ON c.id = x.commitment_id JOIN areas ar ON ar.id = x.area_id
    WHERE c.code = 'so-3-boras-stad-2';
    ASSERT t = 'hassleholmen,hulta,kristineberg,norrby,sjobo', 'Mötesplatser areas: ' || coalesce(t, '<none>');

    -- agreements
    SELECT count(*) INTO n FROM agreements m JOIN agreements s ON s.id = m.complements_agreement_id
    WHERE m.code = 'medborgarlofte-hassleholmen-hulta-norrby-2018' AND s.code = 'boras-polisen-2018-2020'
      AND m.valid_from = '2018-01-01' AND m.valid_to = '2019-01-31' AND jsonb_array_length(m.goals) = 3
      AND s.valid_from = '2018-01-01' AND s.valid_to = '2020-12-31' AND s.signed_on = '2018-02-20';
    ASSERT n = 1, 'agreement dates / complements / goals';
    SELECT string_agg(p.code || '=' || coalesce(ap.signed_by, ''), '; ' ORDER BY p.code) INTO t
    FROM agreement_parties ap JOIN agreements a ON a.id = ap.agreement_id JOIN parties p ON p.id = ap.party_id
    WHERE a.code = 'boras-polisen-2018-2020';
    ASSERT t = 'boras-stad=Ulf Olsson, Kommunstyrelsens ordförande; polisen-boras=Tomas Jansson, Lokalpolisområdeschef',
           'signatories: ' || t;

    -- area focuses: priority-1 focuses are the särskilt utsatta områden
    SELECT count(*) INTO n FROM area_focuses f JOIN areas ar ON ar.id = f.area_id
    WHERE f.priority = 1 AND ar.kind = 'sarskilt_utsatt_omrade';
    ASSERT n = 4, format('priority-1 SUO focuses = %s, want 4', n);

    -- ------------------------------------------------------------------ geometry
    SELECT count(*) INTO n FROM areas WHERE NOT ST_IsValid(geom) OR ST_IsEmpty(geom) OR ST_SRID(geom) <> 4326
                                         OR NOT approximate;
    ASSERT n = 0, 'all seeded geometries valid, 4326, approximate';
    SELECT count(*) INTO n FROM areas a JOIN areas b ON a.id < b.id
    WHERE a.kind = 'district' AND b.kind = 'district'
      AND (ST_Overlaps(a.geom, b.geom) OR ST_Area(ST_Intersection(a.geom, b.geom)) > 0);
    ASSERT n = 0, 'districts must not overlap';
    SELECT count(*) INTO n
    FROM (VALUES ('centrum', 12.9394, 57.7208), ('norrby', 12.9300, 57.7285), ('sjobo', 12.9380, 57.7520),
                 ('hassleholmen', 12.9760, 57.7385), ('hulta', 12.9840, 57.7275),
                 ('kristineberg', 12.9245, 57.7080)) v(code, lon, lat)
    JOIN areas ar ON ar.code = v.code
    WHERE ST_Contains(ar.geom, ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4326));
    ASSERT n = 6, format('districts containing their centre point = %s, want 6', n);
    SELECT count(*) INTO n FROM areas s, areas h, areas u
    WHERE s.code = 'hassleholmen-hulta' AND h.code = 'hassleholmen' AND u.code = 'hulta'
      AND ST_Equals(s.geom, ST_Union(h.geom, u.geom));
    ASSERT n = 1, 'hassleholmen-hulta = union(hassleholmen, hulta)';
    SELECT count(*) INTO n FROM areas s, areas d
    WHERE s.code = 'norrby-suo' AND d.code = 'norrby' AND ST_Equals(s.geom, d.geom);
    ASSERT n = 1, 'norrby-suo = norrby';

    -- ------------------------------------------------------------------ constraint probes
    -- Each probe must fail with the given SQLSTATE; the sub-transaction is rolled back either way.
    -- 23514 check_violation, 23503 foreign_key_violation, 23505 unique_violation.

    -- cooperation area from another agreement
    BEGIN
        INSERT INTO commitments (agreement_id, cooperation_area_id, text)
        SELECT m.id, ca.id, 'x' FROM agreements m, cooperation_areas ca
        WHERE m.code = 'medborgarlofte-hassleholmen-hulta-norrby-2018' AND ca.code = 'so-1';
        RAISE EXCEPTION 'probe passed: cross-agreement cooperation area';
    EXCEPTION WHEN foreign_key_violation THEN NULL;
    END;
    -- partial target
    BEGIN
        INSERT INTO commitments (agreement_id, text, target_value, target_unit)
        SELECT id, 'x', 3, 'meeting' FROM agreements WHERE code = 'boras-polisen-2018-2020';
        RAISE EXCEPTION 'probe passed: partial target';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    -- reversed target period
    BEGIN
        INSERT INTO commitments (agreement_id, text, target_value, target_unit, target_comparison, target_per,
                                 target_from, target_to)
        SELECT id, 'x', 3, 'meeting', 'at_least', 'year', '2020-01-01', '2019-01-01'
        FROM agreements WHERE code = 'boras-polisen-2018-2020';
        RAISE EXCEPTION 'probe passed: target_to < target_from';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    -- unknown status / empty text / non-positive target
    BEGIN
        INSERT INTO commitments (agreement_id, text, status)
        SELECT id, 'x', 'done' FROM agreements WHERE code = 'boras-polisen-2018-2020';
        RAISE EXCEPTION 'probe passed: bad status';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO commitments (agreement_id, text) SELECT id, '' FROM agreements WHERE code = 'boras-polisen-2018-2020';
        RAISE EXCEPTION 'probe passed: empty text';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    -- duplicate commitment code
    BEGIN
        INSERT INTO commitments (agreement_id, code, text)
        SELECT id, 'ml-1', 'x' FROM agreements WHERE code = 'boras-polisen-2018-2020';
        RAISE EXCEPTION 'probe passed: duplicate code';
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
    -- party referenced by a commitment cannot be deleted
    BEGIN
        DELETE FROM parties WHERE code = 'ab-bostader';
        RAISE EXCEPTION 'probe passed: delete referenced party';
    EXCEPTION WHEN foreign_key_violation THEN NULL;
    END;
    -- area referenced by a commitment cannot be deleted
    BEGIN
        DELETE FROM areas WHERE code = 'kristineberg';
        RAISE EXCEPTION 'probe passed: delete referenced area';
    EXCEPTION WHEN foreign_key_violation THEN NULL;
    END;
    -- area focus without owner / bad priority / reversed validity
    BEGIN
        INSERT INTO area_focuses (area_id, reason, valid_from) SELECT id, 'x', '2018-01-01' FROM areas WHERE code = 'sjobo';
        RAISE EXCEPTION 'probe passed: focus without agreement and party';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO area_focuses (area_id, party_id, reason, priority, valid_from)
        SELECT a.id, p.id, 'x', 0, '2018-01-01' FROM areas a, parties p WHERE a.code = 'sjobo' AND p.code = 'boras-stad';
        RAISE EXCEPTION 'probe passed: priority 0';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO area_focuses (area_id, party_id, reason, valid_from, valid_to)
        SELECT a.id, p.id, 'x', '2018-01-01', '2017-01-01' FROM areas a, parties p
        WHERE a.code = 'sjobo' AND p.code = 'boras-stad';
        RAISE EXCEPTION 'probe passed: focus valid_to < valid_from';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    -- invalid (self-intersecting bow-tie) geometry, and projected coordinates
    BEGIN
        INSERT INTO areas (name, kind, geom)
        VALUES ('bowtie', 'other', ST_Multi(ST_GeomFromText('POLYGON((12.90 57.70, 12.91 57.71, 12.91 57.70, 12.90 57.71, 12.90 57.70))', 4326)));
        RAISE EXCEPTION 'probe passed: invalid geometry';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO areas (name, kind, geom)
        VALUES ('sweref', 'other', ST_Multi(ST_GeomFromText('POLYGON((370000 6400000, 371000 6400000, 371000 6401000, 370000 6400000))', 4326)));
        RAISE EXCEPTION 'probe passed: out-of-range lon/lat';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    -- goals must be an array of strings; agreement period must not be reversed
    BEGIN
        INSERT INTO agreements (code, kind, title, valid_from, valid_to, goals)
        VALUES ('probe', 'medborgarlofte', 't', '2018-01-01', '2018-12-31', '["ok", 1]');
        RAISE EXCEPTION 'probe passed: non-string goal';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO agreements (code, kind, title, valid_from, valid_to)
        VALUES ('probe', 'medborgarlofte', 't', '2018-12-31', '2018-01-01');
        RAISE EXCEPTION 'probe passed: reversed agreement period';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    -- a complete, valid commitment is accepted (then rolled back)
    BEGIN
        INSERT INTO commitments (agreement_id, cooperation_area_id, text, target_value, target_unit,
                                 target_comparison, target_per, target_from, target_to)
        SELECT a.id, ca.id, 'probe', 2, 'meeting', 'at_most', 'quarter', '2018-01-01', '2018-12-31'
        FROM agreements a JOIN cooperation_areas ca ON ca.agreement_id = a.id AND ca.code = 'so-2'
        WHERE a.code = 'boras-polisen-2018-2020';
        RAISE EXCEPTION USING ERRCODE = 'P0042', MESSAGE = 'rollback';
    EXCEPTION WHEN SQLSTATE 'P0042' THEN NULL;
    END;

    RAISE NOTICE 'foundation schema + Borås seed: all checks passed';
END
$check$;
