"""The situational picture's snapshot is opened in one round trip
(est_db_exec_batch, libpq pipeline mode: BEGIN, its settings, the data
version, the counts and the context; src/store/situation.c
store_situation_open). A statement that fails inside the pipeline fails the
request with a problem document, the statements after it do not run, and
the connection and its prepared statements stay usable: once the cause is
gone the same estd serves the same picture again. A statement whose
prepare failed inside a pipeline is prepared again next time (were it
recorded as prepared, every later request on that connection would fail)."""
import psycopg
import pytest

from conftest import Estd, assert_problem, pg_url
from sit_events import HULTA, NORRBY, area_ids, ev, insert

WEEK = "2024-W48"


@pytest.fixture(scope="module")
def data(db):
    insert(db, [
        ev("incident", "polisen-boras", "2024-11-27 21:00", HULTA, "klotter"),
        ev("incident", "polisen-boras", "2024-11-28 09:00", NORRBY, "brand"),
    ])


def server(db):
    # one pooled connection: every request of the module's estd uses the same one
    return Estd(db, env={"ESTD_DB_POOL_SIZE": "1", "ESTD_SITUATION_CACHE_ENTRIES": "0",
                         "ESTD_HOTSPOT_MAX_STALENESS_S": "0"}).start()


def pictures(s, areas):
    out = []
    for p in ({"week": WEEK}, {"week": WEEK, "area_id": areas["hulta"]}):
        r = s.get("/v1/situation", params=p)
        assert r.status_code == 200, r.text
        doc = r.json()
        out.append((doc["incidents"], doc["by_area"], doc["freshness"]))
    return out


def rename(db, a, b):
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        c.execute(f"ALTER TABLE {a} RENAME TO {b}")


@pytest.mark.parametrize("table", ["situation_freshness", "situation_daily"])
def test_failure_inside_the_pipeline_leaves_the_connection_usable(db, data, table):
    """situation_freshness fails the version (the 4th statement), situation_daily the counts (5th)."""
    s = server(db)
    try:
        areas = area_ids(s)
        want = pictures(s, areas)
        rename(db, table, table + "_away")
        try:
            r = s.get("/v1/situation", params={"week": WEEK})
            assert_problem(r, 500)
        finally:
            rename(db, table + "_away", table)
        assert pictures(s, areas) == want
        # the connection survived: nothing else was left open on it
        assert s.get("/v1/situation", params={"week": WEEK}).status_code == 200
    finally:
        assert s.stop() == 0, s.read_log()[-3000:]


def test_a_prepare_that_failed_in_the_pipeline_is_prepared_again(db, data):
    """A fresh estd whose first pipeline prepares the statements while a table is missing."""
    rename(db, "situation_freshness", "situation_freshness_away")
    try:
        s = server(db)
    except Exception:
        rename(db, "situation_freshness_away", "situation_freshness")
        raise
    try:
        try:
            assert_problem(s.get("/v1/situation", params={"week": WEEK}), 500)
        finally:
            rename(db, "situation_freshness_away", "situation_freshness")
        areas = area_ids(s)
        first = pictures(s, areas)
        assert first == pictures(s, areas)
        assert first[0][0]["total"]["count"] == 2 and first[1][0]["total"]["count"] == 1
    finally:
        assert s.stop() == 0, s.read_log()[-3000:]
