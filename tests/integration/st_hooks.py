"""schemathesis hooks for test_schemathesis.py (loaded through schemathesis.toml).

JSON Schema states the shape of a request, not which rows exist or what a
server issued. For the rules openapi.yaml states in words because no
keyword can (below, each with the spec text it follows), a request that
schemathesis generated as *valid* gets the real values the rule needs before
it is sent: ids of rows that exist (the fixture the test made, ESTD_ST_FIXTURE),
cursors the server issued for that list and sort, a period whose `to` is after
its `from`. Only components generated as valid are touched (schemathesis
re-validates the case after this hook), so every invalid request still goes
out as generated and must be refused."""
import datetime
import json
import os
import re

import requests
import schemathesis
from schemathesis.core.parameters import ParameterLocation

FIXTURE = json.load(open(os.environ["ESTD_ST_FIXTURE"], encoding="utf-8")) if os.environ.get("ESTD_ST_FIXTURE") else {}

# Body fields naming a row (openapi.yaml: "no <row> with this id → 422"), and the fixture key of an
# existing one. One consistent set: the fixture's meeting, commitment, focus ... belong to its agreement.
REFS = {
    "party_id": "party", "responsible_party_id": "party", "agreement_id": "agreement",
    "complements_agreement_id": "agreement2", "area_id": "area", "cooperation_area_id": "cooperation_area",
    "meeting_id": "meeting", "commitment_id": "commitment", "area_focus_id": "area_focus",
    "event_id": "event", "baseline_value_id": "indicator_value",
}
IF_MATCH = re.compile(r'\*|(W/)?"[1-9][0-9]{0,17}"')  # openapi.yaml IfMatch
LIST_REFS = {"party_ids": "parties", "responsible_party_ids": "parties", "area_ids": "areas"}


def _positive(case, location):
    meta = case.meta
    if meta is None or location not in meta.components:
        return False
    return meta.components[location].mode.is_positive


def _valid(case):
    """Generated as valid as a whole: every component. A case with any invalid component is
    left exactly as generated (a change would make schemathesis re-judge it)."""
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive and \
        all(c.mode.is_positive for c in meta.components.values())


def _is_id(value):
    """An integer as the spec's integers go: 5, 5.0 (JSON) or "5" (a query string)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


def _fix_refs(doc):
    if isinstance(doc, list):
        for x in doc:
            _fix_refs(x)
        return
    if not isinstance(doc, dict):
        return
    for key, value in list(doc.items()):
        if key in REFS and _is_id(value) and REFS[key] in FIXTURE:
            doc[key] = FIXTURE[REFS[key]]
        elif key in LIST_REFS and isinstance(value, list) and LIST_REFS[key] in FIXTURE:
            pool = FIXTURE[LIST_REFS[key]]
            doc[key] = pool[:max(1, min(len(value), len(pool)))] if value else []
        else:
            _fix_refs(value)


def _date(value, default):
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return default


def _fix_period(query, lo="from", hi="to", exclusive=True, max_days=731):
    """A period of two date parameters: openapi.yaml SituationFrom/SituationTo (`from` and `to`
    together, `to` after `from`, at most 731 days, not with `week`) and the statutory report's
    (`to` inclusive, not before `from`, at most three years)."""
    if lo not in query and hi not in query:
        return
    query.pop("week", None)
    start = _date(query.get(lo), datetime.date(2019, 5, 1))
    end = _date(query.get(hi), start + datetime.timedelta(days=7))
    if not (start < end if exclusive else start <= end) or end > start + datetime.timedelta(days=max_days):
        end = start + datetime.timedelta(days=7)
    query[lo], query[hi] = start.isoformat(), end.isoformat()


def _fix_week(doc, key="week"):
    """ISO week 53 exists only in some years (openapi.yaml SituationWeek)."""
    w = doc.get(key)
    if isinstance(w, str) and w.endswith("-W53"):
        try:
            datetime.date.fromisocalendar(int(w[:4]), 53, 1)
        except ValueError:
            doc[key] = w[:-2] + "52"


def _order(doc, lo, hi):
    """`hi` not before `lo` (valid_to, period_to, planned_to, a target's to); a patch that
    names one of them names both (the other, stored, one is the data's)."""
    if isinstance(doc.get(lo), str) and isinstance(doc.get(hi), str) and doc[hi] < doc[lo]:
        doc[lo], doc[hi] = doc[hi], doc[lo]
    elif isinstance(doc.get(lo), str) and hi not in doc:
        doc[hi] = doc[lo]
    elif isinstance(doc.get(hi), str) and lo not in doc:
        doc[lo] = doc[hi]


INT64 = (-2 ** 63, 2 ** 63 - 1)


def _fit_int64(doc):
    """openapi.yaml (info): an integer literal in a JSON body must fit in 64 bits; a free-form
    member (a CloudEvent's extension attribute, `data`) holds the same number as a real."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in list(items):
        if isinstance(v, int) and not isinstance(v, bool) and not INT64[0] <= v <= INT64[1]:
            doc[k] = float(v)
        else:
            _fit_int64(v)


# openapi.yaml PATCH /v1/actions/{id}: the status moves the server allows (another is 422).
ACTION_MOVES = {"planned": {"ongoing", "done", "cancelled"}, "ongoing": {"planned", "done", "cancelled"},
                "done": {"ongoing"}, "cancelled": {"planned"}}


def _fix_action_status(case, body):
    """A status move from the action's current status (the data's, read from the server)."""
    if not isinstance(body, dict) or "status" not in body or "base" not in FIXTURE:
        return
    r = requests.get(f"{FIXTURE['base']}/v1/actions/{(case.path_parameters or {}).get('id')}",
                     headers={"Authorization": "Bearer " + FIXTURE["key"]}, timeout=10)
    now = r.json().get("status") if r.status_code == 200 else None
    if now and body["status"] != now and body["status"] not in ACTION_MOVES.get(now, ()):
        del body["status"]


def _fix_body(op, body):
    """The rules between members openapi.yaml states in the schemas' descriptions."""
    if not isinstance(body, dict):
        return
    for lo, hi in (("valid_from", "valid_to"), ("period_from", "period_to"), ("planned_from", "planned_to")):
        _order(body, lo, hi)
    if isinstance(body.get("target"), dict):
        _order(body["target"], "from", "to")
    _fix_week(body)
    if "geometry" in body and FIXTURE.get("geometry"):
        body["geometry"] = FIXTURE["geometry"]  # closed rings, no self-intersection (AreaGeometry)
    for spot in body.get("hot_spots") or []:
        if isinstance(spot, dict):  # exactly one of rank and area_id; which ranks exist is the data's
            spot.pop("rank", None)
            spot["area_id"] = FIXTURE.get("area", 1)
            _order(spot, "valid_from", "valid_to")
    if isinstance(body.get("signatories"), list):  # each party signs once
        signs = [s for s in body["signatories"] if isinstance(s, dict)][:len(FIXTURE.get("parties", []))]
        for s, party in zip(signs, FIXTURE.get("parties", [])):
            s["party_id"] = party
        body["signatories"] = signs
    if op == "PATCH /v1/commitments/{id}" and isinstance(body.get("target"), dict):
        body["target"] = {**FIXTURE["target"], **body["target"]}  # the merged target must be complete
        _order(body["target"], "from", "to")
    if op in ("POST /v1/area-focuses", "PATCH /v1/area-focuses/{id}"):
        if body.get("agreement_id") is None and body.get("party_id") is None and op.startswith("POST"):
            body["agreement_id"] = FIXTURE.get("agreement")  # at least one of agreement_id and party_id
    if op == "POST /v1/actions" and body.get("area_id") is None and body.get("area_focus_id") is None:
        body["area_id"] = FIXTURE.get("area")  # area_id or area_focus_id is required
    if op == "PUT /v1/commitments/{id}/outcome-target" and "indicator_value" in FIXTURE:
        # The baseline is a value of the same indicator, measure and area.
        body.update(FIXTURE["indicator_value_of"])
    if op == "POST /v1/sources":  # the party by code or id, one that exists
        body["party"] = FIXTURE.get("party_code")
        body.pop("party_id", None)


@schemathesis.hook
def before_call(context, case, kwargs):
    op = f"{case.method.upper()} {case.operation.path}"
    meta = case.meta
    if meta is not None and meta.generation.mode.is_positive and case.headers and "If-Match" in case.headers \
            and not IF_MATCH.fullmatch(str(case.headers["If-Match"])):
        # schemathesis 4.32.5's coverage phase labels some cases valid ("Near-boundary number" of
        # the path id) that carry an invalid If-Match ("0") from another scenario: make it valid.
        case.headers["If-Match"] = "*"
    if not _valid(case):
        return
    if case.query and _positive(case, ParameterLocation.QUERY):
        query = case.query
        # openapi.yaml Cursor: a next_cursor this list issued, for the same sort.
        if "cursor" in query:
            issued = FIXTURE.get("cursors", {}).get(op, {}).get(str(query.get("sort", "")))
            if issued:
                query["cursor"] = issued
            else:
                del query["cursor"]
        _fix_refs(query)
        _fix_week(query)
        if op.startswith("GET /v1/situation"):
            _fix_period(query)
            if op == "GET /v1/situation":
                query.pop("include", None)  # include=events only with the GeoJSON document
        elif op in ("GET /v1/agreements/{id}/statutory-report", "GET /v1/agreements/{id}/statutory-report.csv"):
            _fix_period(query, exclusive=False, max_days=3 * 365)
        elif op == "GET /v1/audit":
            for k in ("from", "to"):  # 29 February only in leap years
                v = query.get(k)
                if isinstance(v, str) and v[4:10] == "-02-29" and not _date(v[:10], None):
                    query[k] = v[:8] + "28" + v[10:]
        elif op in ("GET /v1/agreements/{id}/follow-up", "GET /v1/agreements/{id}/follow-up.csv"):
            query.pop("period", None)  # one of the cadence, inside the agreement's validity
        elif op.startswith("GET /ogc/collections/{collectionId}/items"):
            _fix_ogc(query, (case.path_parameters or {}).get("collectionId"))
        elif "intersects_bbox" in query:
            box = [float(x) for x in query["intersects_bbox"].split(",")]
            if box[0] > box[2] or box[1] > box[3]:
                query["intersects_bbox"] = ",".join(str(x) for x in (min(box[0], box[2]), min(box[1], box[3]),
                                                                      max(box[0], box[2]), max(box[1], box[3])))
    if case.body is not None and _positive(case, ParameterLocation.BODY):
        _fit_int64(case.body)
        _fix_refs(case.body)
        if op == "POST /v1/events":
            _fix_events(case)
        else:
            _fix_body(op, case.body)
        if op == "PATCH /v1/actions/{id}":
            _fix_action_status(case, case.body)


OGC_DATETIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))")


def _instant(v):
    """A date-time that exists (the pattern lets 30 February through; the server does not)."""
    try:
        datetime.datetime.fromisoformat(v.replace("Z", "+00:00").replace("z", "+00:00").replace("t", "T"))
        return True
    except ValueError:
        return False


def _fix_ogc(query, collection):
    """openapi.yaml /ogc items: `bbox` lower corner <= upper corner, CRS84/EPSG:4326 in degrees
    (in the axis order of `bbox-crs`); `datetime` an RFC 3339 instant or interval with start <=
    end, not both ends open; hot spots: a closed interval of at most 731 days, no open one; areas
    have none."""
    if "bbox" in query:
        box = [float(x) for x in str(query["bbox"]).split(",")]
        n = len(box) // 2
        lo, hi = box[:n], box[n:]
        lo, hi = [min(a, b) for a, b in zip(lo, hi)], [max(a, b) for a, b in zip(lo, hi)]
        if "3006" not in str(query.get("bbox-crs", "")):
            lat_first = "EPSG/0/4326" in str(query.get("bbox-crs", ""))
            lim = (90, 180) if lat_first else (180, 90)
            lo = [max(-lim[i % 2] if i < 2 else v, min(lim[i % 2] if i < 2 else v, v)) for i, v in enumerate(lo)]
            hi = [max(-lim[i % 2] if i < 2 else v, min(lim[i % 2] if i < 2 else v, v)) for i, v in enumerate(hi)]
        query["bbox"] = ",".join(f"{v:.6f}" for v in lo + hi)
    if "datetime" in query:
        if collection == "areas":
            del query["datetime"]
        elif collection == "hot-spots" or not OGC_DATETIME.fullmatch(str(query["datetime"])) \
                or not _instant(str(query["datetime"])):
            # an interval's words (ordered ends, at most 731 days for hot spots) in one valid value
            query["datetime"] = "2026-11-02T00:00:00Z/2026-11-09T00:00:00Z"


def _fix_events(case):
    """openapi.yaml POST /v1/events: `data` follows schemas/events/<kind>.json (the spec names
    them, it does not restate them), the source is registered for the party, and the time is
    plausible (after 2000, not ahead of the clock): the fixture's event stands in for the
    envelope's data, source, party and time."""
    events = case.body if isinstance(case.body, list) else [case.body]
    for i, ev in enumerate(events):
        if isinstance(ev, dict) and "event" in FIXTURE:
            for k in ("type", "source", "party", "data", "time", "datacontenttype"):
                ev.pop(k, None)
            ev.update(FIXTURE["event_envelope"])
            ev["id"] = f"{ev.get('id', 'x')[:200]}-{i}"

