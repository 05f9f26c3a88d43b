-- Seed 0002: commitment indicators (how progress is measured) for the Borås commitments that
-- state a number, plus patrol presence for the medborgarlöfte promises ml-1 and ml-2 (which state
-- no number: they get no target, the measured presence is still reported).
-- Idempotent: natural keys (commitments.code, commitment_indicators.code), WHERE NOT EXISTS, and
-- ON CONFLICT DO NOTHING. No ids, no BEGIN/COMMIT.
INSERT INTO commitment_indicators (commitment_id, code, description, event_kinds, activity_types, area_ids, measure)
SELECT c.id, v.code, v.description, v.kinds::text[], v.types::text[],
       COALESCE((SELECT array_agg(ar.id ORDER BY ar.id) FROM areas ar WHERE ar.code = ANY (v.area_codes::text[])),
                '{}'::bigint[]),
       v.measure
FROM (VALUES
    ('so-1-polisen-1', 'so-1-polisen-1-natverksgrupp',
     'Polisens deltagande i lokala nätverksgrupper: aktiviteter av typen nätverksgrupp rapporterade av Polisen.',
     '{activity}', '{natverksgrupp}', '{}', 'count'),
    ('so-2-boras-stad-3', 'so-2-boras-stad-3-trygghetsvandring',
     'Årliga trygghetsvandringar: aktiviteter av typen trygghetsvandring rapporterade av Borås Stad, per år.',
     '{activity}', '{trygghetsvandring}', '{}', 'count'),
    ('ml-1', 'ml-1-patrullering',
     'Polisnärvaro: patrulltimmar (summa duration) av Polisen i Hässleholmen/Hulta och Norrby.',
     '{patrol}', '{}', '{hassleholmen-hulta,norrby-suo}', 'duration_hours'),
    ('ml-2', 'ml-2-patrullering-norrby',
     'Uniformerad synlighet på Norrby: patrulltimmar av Polisen i Norrby.',
     '{patrol}', '{}', '{norrby-suo}', 'duration_hours'),
    ('ml-3', 'ml-3-operativa-insatser',
     'Operativa insatser mot organiserad brottslighet: aktiviteter av typen operativ insats rapporterade av Polisen i stadsdelarna.',
     '{activity}', '{operativ_insats}', '{}', 'count'),
    ('ml-5', 'ml-5-informationstillfallen',
     'Informationstillfällen till medborgare: aktiviteter av typen informationstillfälle av Polisen, Borås Stad eller AB Bostäder i stadsdelarna.',
     '{activity}', '{informationstillfalle}', '{}', 'count')
) AS v(commitment_code, code, description, kinds, types, area_codes, measure)
JOIN commitments c ON c.code = v.commitment_code
WHERE NOT EXISTS (SELECT 1 FROM commitment_indicators ci WHERE ci.code = v.code OR ci.commitment_id = c.id)
ON CONFLICT DO NOTHING;

DO $seed_check$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(k, ', ') INTO missing
    FROM (VALUES ('so-1-polisen-1'), ('so-2-boras-stad-3'), ('ml-1'), ('ml-2'), ('ml-3'), ('ml-5')) AS e(k)
    WHERE NOT EXISTS (SELECT 1 FROM commitment_indicators ci JOIN commitments c ON c.id = ci.commitment_id
                      WHERE c.code = e.k);
    IF missing IS NOT NULL THEN RAISE EXCEPTION 'seed 0002_indicators: indicators missing: %', missing; END IF;
END
$seed_check$;
