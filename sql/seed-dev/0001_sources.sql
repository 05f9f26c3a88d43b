-- seed-dev/0001 development and test sources (`estd seed --dev`; used by
-- scripts/run.sh, docker-compose.yml and the test template). Kept apart
-- from the Borås agreement seed (sql/seed/): a production database
-- registers its real sources with /v1/sources or `estd sources add`.
--
-- scripts/sample_events.py reports as urn:est:<party>:sample (and the
-- Police feed as https://polisen.se/api/events); the docs' examples use
-- urn:est:polisen-boras:rakel and urn:abbostader:felanmalan; the tests use
-- urn:test:pnr and urn:vg for every party (others register their own).
INSERT INTO event_sources (party_id, source, description)
SELECT p.id, v.source, v.description
FROM (VALUES
    ('polisen-boras', 'urn:est:polisen-boras:sample', 'Exempelhändelser (scripts/sample_events.py)'),
    ('polisen-boras', 'https://polisen.se/api/events', 'Polisens öppna händelser (se.polisen.event.v1)'),
    ('polisen-boras', 'urn:est:polisen-boras:rakel', 'Exempel i docs/EVENTS.md'),
    ('boras-stad', 'urn:est:boras-stad:sample', 'Exempelhändelser (scripts/sample_events.py)'),
    ('ab-bostader', 'urn:est:ab-bostader:sample', 'Exempelhändelser (scripts/sample_events.py)'),
    ('ab-bostader', 'urn:abbostader:felanmalan', 'Exempel i schemas/events/'),
    ('polisen-boras', 'urn:test:pnr', 'Tester'),
    ('boras-stad', 'urn:test:pnr', 'Tester'),
    ('ab-bostader', 'urn:test:pnr', 'Tester'),
    ('polisen-boras', 'urn:vg', 'Tester (valgrind)'),
    ('boras-stad', 'urn:vg', 'Tester (valgrind)'),
    ('ab-bostader', 'urn:vg', 'Tester (valgrind)')
) AS v (party_code, source, description)
JOIN parties p ON p.code = v.party_code
ON CONFLICT (party_id, source) DO NOTHING;
