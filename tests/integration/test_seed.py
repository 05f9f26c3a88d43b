"""The seeded Borås content (sql/seed/0001_boras.sql), read back through the
API, and that `estd seed` is idempotent (a re-run writes nothing)."""
import os
import re
import subprocess

import pytest

from conftest import ESTD_BIN, SQL_DIR, page_all, pg_url

SO = "boras-polisen-2018-2020"
ML = "medborgarlofte-hassleholmen-hulta-norrby-2018"
SOURCE = os.environ.get("ESTD_SEED_SOURCE",
                        "/work/shared/seeds/samverkansoverenskommelse-boras-polisen-2018-2020.txt")


@pytest.fixture(scope="module")
def ref(estd):
    parties = {p["code"]: p["id"] for p in page_all(estd, "/v1/parties")}
    agreements = {a["code"]: a for a in page_all(estd, "/v1/agreements")}
    return parties, agreements


def commitments(estd, **params):
    return page_all(estd, "/v1/commitments", params, limit=5)


def test_commitments_per_party_per_agreement(estd, ref):
    parties, agreements = ref
    so, ml = agreements[SO]["id"], agreements[ML]["id"]
    police, city, housing = parties["polisen-boras"], parties["boras-stad"], parties["ab-bostader"]

    # Samverkansöverenskommelsen: every "förbinder sig att" bullet, one responsible party each.
    assert len(commitments(estd, agreement_id=so)) == 27
    so_police = commitments(estd, agreement_id=so, party_id=police)
    so_city = commitments(estd, agreement_id=so, party_id=city)
    assert len(so_police) == 12 and len(so_city) == 15
    assert commitments(estd, agreement_id=so, party_id=housing) == []
    assert all(c["text"].startswith("Polisen förbinder sig att ") for c in so_police)
    assert all(c["text"].startswith("Borås Stad förbinder sig att ") for c in so_city)
    assert all(c["responsible_party_ids"] in ([police], [city]) for c in so_police + so_city)
    # Per samverkansområde: 4+6, 4+3, 4+6.
    coop = {c["code"]: c["id"] for c in agreements[SO]["cooperation_areas"]}
    per_area = {code: (len(commitments(estd, cooperation_area_id=cid, party_id=police)),
                       len(commitments(estd, cooperation_area_id=cid, party_id=city)))
                for code, cid in coop.items()}
    assert per_area == {"so-1": (4, 6), "so-2": (4, 3), "so-3": (4, 6)}

    # Medborgarlöftet: six promises, the police responsible for all of them, Borås Stad and
    # AB Bostäder for two each (ml-5 and ml-6); none belongs to a samverkansområde.
    ml_all = commitments(estd, agreement_id=ml)
    assert sorted(c["code"] for c in ml_all) == [f"ml-{n}" for n in range(1, 7)]
    assert all(c["cooperation_area_id"] is None for c in ml_all)
    assert len(commitments(estd, agreement_id=ml, party_id=police)) == 6
    assert sorted(c["code"] for c in commitments(estd, agreement_id=ml, party_id=city)) == ["ml-5", "ml-6"]
    assert sorted(c["code"] for c in commitments(estd, agreement_id=ml, party_id=housing)) == ["ml-5", "ml-6"]
    assert all(c["status"] == "planned" and c["version"] == 1 for c in commitments(estd))


def test_the_four_quantified_targets(estd, ref):
    targets = {c["code"]: c["target"] for c in commitments(estd) if c["target"] is not None}
    assert targets == {
        # "delta i samtliga nio lokala nätverksgrupper"
        "so-1-polisen-1": {"value": 9, "unit": "network_group", "comparison": "at_least", "per": "period",
                           "from": "2018-01-01", "to": "2020-12-31"},
        # "genomföra årliga trygghetsvandringar": at least one per year 2018-2020
        "so-2-boras-stad-3": {"value": 1, "unit": "trygghetsvandring", "comparison": "at_least", "per": "year",
                              "from": "2018-01-01", "to": "2020-12-31"},
        # "Fyra operativa insatser under perioden"
        "ml-3": {"value": 4, "unit": "operative_action", "comparison": "at_least", "per": "period",
                 "from": "2018-01-01", "to": "2019-01-31"},
        # "Minst Fyra informationstillfällen"
        "ml-5": {"value": 4, "unit": "information_meeting", "comparison": "at_least", "per": "period",
                 "from": "2018-01-01", "to": "2019-01-31"},
    }


def test_areas_districts_and_sarskilt_utsatta_omraden(estd):
    rows = estd.sql("SELECT code, kind, approximate FROM areas ORDER BY code")
    assert len(rows) == 8
    assert sorted(c for c, k, _ in rows if k == "district") == \
        ["centrum", "hassleholmen", "hulta", "kristineberg", "norrby", "sjobo"]
    assert sorted(c for c, k, _ in rows if k == "sarskilt_utsatt_omrade") == ["hassleholmen-hulta", "norrby-suo"]
    assert all(approx for _, _, approx in rows)  # no official boundaries are claimed
    # Hässleholmen/Hulta is the union of its two districts, Norrby's equals the district.
    assert estd.sql(
        "SELECT ST_Equals(s.geom, (SELECT ST_Multi(ST_Union(geom)) FROM areas WHERE code IN ('hassleholmen','hulta'))),"
        " ST_GeometryType(s.geom), ST_NumGeometries(s.geom) FROM areas s WHERE s.code = 'hassleholmen-hulta'") == \
        [(True, "ST_MultiPolygon", 1)]
    assert estd.sql("SELECT ST_Equals(s.geom, d.geom) FROM areas s, areas d "
                    "WHERE s.code = 'norrby-suo' AND d.code = 'norrby'") == [(True,)]
    # Districts do not overlap one another (they may share an edge).
    assert estd.sql("SELECT count(*) FROM areas a JOIN areas b ON a.id < b.id WHERE a.kind = 'district' "
                    "AND b.kind = 'district' AND ST_Overlaps(a.geom, b.geom)") == [(0,)]
    # Commitment area links point at districts only.
    area = dict(estd.sql("SELECT id, code FROM areas"))
    linked = {area[a] for c in commitments(estd) for a in c["area_ids"]}
    assert linked == {"hassleholmen", "hulta", "norrby", "sjobo", "kristineberg"}


def _norm(s):
    return re.sub(r"\s+", " ", s).strip()


@pytest.mark.skipif(not os.path.exists(SOURCE), reason="seed source document not available")
def test_texts_are_the_source_documents_bullets(estd):
    """Each seeded commitment is a bullet of the source, in document order."""
    src = open(SOURCE, encoding="utf-8").read()
    so_part, ml_part = src.split("Det här lovar vi", 1)
    expected = []  # (prefix, bullet) in document order
    for m in re.finditer(r"^(Polisen|Borås Stad) förbinder sig att:?\s*\n((?:\s*\n|- .*\n)+)", so_part, re.M):
        for b in re.findall(r"^- (.*)$", m.group(2), re.M):
            expected.append(f"{m.group(1)} förbinder sig att {_norm(b)}")
    bullets = re.search(r"lovar vi följande:\s*\n((?:\s*\n|- .*\n)+)", ml_part).group(1)
    expected += [_norm(b) for b in re.findall(r"^- (.*)$", bullets, re.M)]
    assert len(expected) == 33
    seeded = [_norm(c["text"]) for c in commitments(estd, sort="id")]
    assert seeded == expected


def seed_state(estd):
    """Rows with their row versions (xmin) of every table, and the identity sequences."""
    tables = [r[0] for r in estd.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                     "AND tablename <> 'spatial_ref_sys' ORDER BY tablename")]
    assert {"parties", "agreements", "commitments", "commitment_parties", "areas", "area_focuses"} <= set(tables)
    state = {}
    for t in tables:
        state[t] = estd.sql(f"SELECT xmin::text, t::text FROM {t} t ORDER BY t::text")
    state["sequences"] = estd.sql("SELECT sequencename, last_value FROM pg_sequences ORDER BY sequencename")
    return state


def run_seed(db):
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="warn")
    p = subprocess.run([ESTD_BIN, "seed"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def test_seed_rerun_changes_nothing(estd, db, ref):
    parties, agreements = ref
    # A change made through the API survives a re-seed (seed never updates existing rows).
    ml1 = next(c for c in commitments(estd) if c["code"] == "ml-1")
    r = estd.patch(f"/v1/commitments/{ml1['id']}", {"status": "ongoing", "follow_up_note": "Pågår"},
                   headers={"If-Match": '"1"', "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    before = seed_state(estd)
    assert len(before["commitments"]) == 33 and len(before["areas"]) == 8 and len(before["parties"]) == 3
    run_seed(db)
    run_seed(db)
    after = seed_state(estd)
    for k in before:
        assert after[k] == before[k], k
    doc = estd.get(f"/v1/commitments/{ml1['id']}").json()
    assert (doc["status"], doc["follow_up_note"], doc["version"]) == ("ongoing", "Pågår", 2)


def test_pure_sql_seed_and_constraint_checks():
    """tests/sql/0001_boras_seed_check.sql asserts the seeded counts, targets,
    links and geometry and probes the schema's constraints (rolled back), on
    a fresh clone of the migrated and seeded template."""
    import uuid as _uuid

    from conftest import PG_PORT, REPO, create_db, drop_db
    name = "t_seedcheck_" + _uuid.uuid4().hex[:8]
    create_db(name)
    try:
        p = subprocess.run(["/usr/lib/postgresql/15/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1",
                            "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-d", name,
                            "-f", os.path.join(REPO, "tests", "sql", "0001_boras_seed_check.sql")],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "all checks passed" in p.stderr, p.stderr
    finally:
        drop_db(name)
