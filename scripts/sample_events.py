#!/usr/bin/env python3
"""Produces realistic EST events (CloudEvents 1.0) to a Kafka topic.

    scripts/sample_events.py --bootstrap 127.0.0.1:19092 --topic est.events --count 300

The events come from the three parties of the Borås agreement (Polisen,
Borås Stad, AB Bostäder) and lie inside the seeded areas: points are drawn
inside the area polygons by PostGIS (ST_GeneratePoints) from the database
given by --database-url (default: $ESTD_DATABASE_URL, else the estd
database of scripts/pg.sh). Police report incidents (some in the shape of
the Police public events feed) and patrol the särskilt utsatta områden
(Hässleholmen/Hulta, Norrby) with GPS tracks; Borås Stad reports graffiti,
littering, poor lighting and runs trygghetsvandringar; AB Bostäder reports
vandalism, container fires and disturbances in its housing areas. About
half the messages are structured mode (application/cloudevents+json), half
binary mode (ce_* headers). Occurrence times spread over the last
--weeks weeks in Europe/Stockholm time.

Writes one line of JSON to stdout: {"produced": n, "topic": ..., ...}.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

try:
    from confluent_kafka import Producer
except ImportError:  # pragma: no cover
    sys.exit("sample_events.py needs confluent-kafka (pip install confluent-kafka)")

STHLM = ZoneInfo("Europe/Stockholm")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

POLICE = "polisen-boras"
CITY = "boras-stad"
HOUSING = "ab-bostader"

# (party, kind, category or activity type, weight, Swedish descriptions)
MIX = [
    (POLICE, "incident", "narkotika", 8, ["Misstänkt narkotikaförsäljning vid entrén", "Personer anträffade med cannabis"]),
    (POLICE, "incident", "hot_och_vald", 6, ["Misshandel utanför pizzerian", "Olaga hot mot förbipasserande"]),
    (POLICE, "incident", "inbrott_och_stold", 5, ["Inbrott i källarförråd", "Stöld av moped"]),
    (POLICE, "incident", "olovlig_korning", 3, ["Mopedbil i hög fart på gångvägen", "Olovlig körning på torget"]),
    (POLICE, "incident", "otrygghetsskapande_samling", 4, ["Grupp ungdomar samlade vid tunneln sent på kvällen"]),
    (POLICE, "patrol", None, 12, ["Fotpatrull hot spot", "Uniformerad närvaro vid centrumhuset"]),
    (POLICE, "activity", "operativ_insats", 2, ["Riktad insats mot öppen narkotikahandel"]),
    (CITY, "incident", "klotter", 7, ["Klotter på skolans fasad", "Taggar på busskuren"]),
    (CITY, "incident", "nedskrapning", 5, ["Nedskräpning vid återvinningsstationen", "Skräp efter helgen i parken"]),
    (CITY, "incident", "bristande_belysning", 4, ["Trasig gatubelysning längs gångvägen", "Mörk passage vid tunneln"]),
    (CITY, "incident", "otrygg_plats", 3, ["Boende upplever parkeringen som otrygg"]),
    (CITY, "activity", "trygghetsvandring", 3, ["Trygghetsvandring med boende och stadsdelsvärdar"]),
    (CITY, "activity", "natverksgrupp", 2, ["Möte i lokala nätverksgruppen"]),
    (CITY, "activity", "informationstillfalle", 1, ["Medborgardialog på mötesplatsen"]),
    (HOUSING, "incident", "skadegorelse", 8, ["Krossad ruta i trapphus", "Sönderslagen tvättstugedörr"]),
    (HOUSING, "incident", "brand", 4, ["Brand i sopcontainer", "Anlagd brand i barnvagnsrum"]),
    (HOUSING, "incident", "ordningsstorning", 5, ["Störande fest, grannar klagar", "Bråk i trapphuset"]),
    (HOUSING, "incident", "hot_vald_mot_anstalld", 1, ["Fastighetsskötare hotad vid besiktning"]),
    (HOUSING, "patrol", None, 3, ["Bovärdar i området kvällstid"]),
    (HOUSING, "activity", "grannsamverkan", 2, ["Uppstart grannsamverkan i flerfamiljshus"]),
]
POLICE_FEED_TYPES = [("Skadegörelse", "skadegorelse"), ("Misshandel", "hot_och_vald"), ("Brand", "brand"),
                     ("Narkotikabrott", "narkotika"), ("Stöld", "inbrott_och_stold"), ("Inbrott", "inbrott_och_stold"),
                     ("Rån", "hot_och_vald"), ("Bråk", "ordningsstorning")]
SUO = ("hassleholmen-hulta", "norrby-suo")


def default_db_url():
    if os.environ.get("ESTD_DATABASE_URL"):
        return os.environ["ESTD_DATABASE_URL"]
    try:
        return subprocess.run([os.path.join(REPO, "scripts", "pg.sh"), "url", "estd"], check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "postgresql://postgres@127.0.0.1:25432/estd"


def area_points(db_url, per_area, seed):
    """{area code: (kind, [(lat, lon), ...])} with points inside each polygon."""
    import psycopg  # only needed here
    q = ("SELECT a.code, a.kind, ST_Y(d.geom), ST_X(d.geom) FROM areas a, "
         "LATERAL ST_Dump(ST_GeneratePoints(a.geom, %s, %s)) d WHERE a.code IS NOT NULL ORDER BY a.id")
    out = {}
    with psycopg.connect(db_url, connect_timeout=5) as c:
        for code, kind, lat, lon in c.execute(q, (per_area, seed)):
            out.setdefault(code, (kind, []))[1].append((lat, lon))
    if not out:
        sys.exit("no areas found in " + db_url + " (run: estd seed)")
    return out


def rfc3339(dt):
    return dt.isoformat(timespec="seconds")


class Generator:
    def __init__(self, areas, weeks, rnd, run_id):
        self.areas = areas
        self.weeks = weeks
        self.rnd = rnd
        self.run_id = run_id
        self.districts = [c for c, (k, _) in areas.items() if k == "district"]
        self.suo = [c for c in SUO if c in areas] or self.districts
        self.weights = [m[3] for m in MIX]
        self.now = datetime.now(timezone.utc)

    def when(self):
        # evenings and nights are over-represented, as in the real reports
        day = self.rnd.randrange(self.weeks * 7)
        hour = self.rnd.choice([8, 10, 13, 15, 17, 18, 19, 20, 21, 21, 22, 22, 23, 23, 0, 1, 2])
        t = (self.now - timedelta(days=day)).astimezone(STHLM).replace(hour=hour, minute=self.rnd.randrange(60),
                                                                         second=self.rnd.randrange(60), microsecond=0)
        return min(t, self.now.astimezone(STHLM))

    def point(self, suo=False):
        code = self.rnd.choice(self.suo if suo else self.districts)
        lat, lon = self.rnd.choice(self.areas[code][1])
        return code, round(lat, 6), round(lon, 6)

    def event(self, i):
        party, kind, cat, _w, texts = self.rnd.choices(MIX, weights=self.weights)[0]
        when = self.when()
        suo = kind == "patrol" or (party == POLICE and self.rnd.random() < 0.6)
        code, lat, lon = self.point(suo)
        source = f"urn:est:{party}:sample"
        eid = f"{self.run_id}-{i}"
        if party == POLICE and kind == "incident" and self.rnd.random() < 0.25:
            ptype, _ = self.rnd.choice(POLICE_FEED_TYPES)
            pid = 400000 + i
            data = {"id": pid, "datetime": when.strftime("%Y-%m-%d %H:%M:%S %z")[:-2] + ":" + when.strftime("%z")[-2:],
                    "name": f"{when.day} {when.strftime('%B').lower()} {when:%H.%M}, {ptype}, Borås",
                    "summary": self.rnd.choice(texts), "url": f"/aktuellt/handelser/{when:%Y}/{pid}/",
                    "type": ptype, "location": {"name": "Borås", "gps": f"{lat},{lon}"}}
            return "https://polisen.se/api/events", eid, "se.polisen.event.v1", party, data, when
        data = {"occurred_at": rfc3339(when), "description": self.rnd.choice(texts),
                "location": {"lat": lat, "lon": lon, "name": code}}
        if kind == "incident":
            data["category"] = cat
        elif kind == "activity":
            data["activity_type"] = cat
            data["duration_s"] = self.rnd.choice([3600, 5400, 7200])
        else:
            data["duration_s"] = self.rnd.choice([1800, 2700, 3600, 5400])
            steps = self.rnd.randrange(3, 9)
            track = [[lon, lat]]
            for _ in range(steps):
                track.append([round(track[-1][0] + self.rnd.uniform(-0.0008, 0.0008), 6),
                              round(track[-1][1] + self.rnd.uniform(-0.0005, 0.0005), 6)])
            data["track"] = {"type": "LineString", "coordinates": track}
        if party == HOUSING and kind == "incident":
            data["attributes"] = {"fastighet": f"{code.upper()}-{self.rnd.randrange(1, 40)}"}
        return source, eid, f"se.est.{kind}.v1", party, data, when

    def message(self, i, binary):
        source, eid, ce_type, party, data, when = self.event(i)
        self.last_party = party
        key = eid.encode()
        if binary:
            headers = [("ce_specversion", b"1.0"), ("ce_id", eid.encode()), ("ce_source", source.encode()),
                       ("ce_type", ce_type.encode()), ("ce_time", rfc3339(when).encode()),
                       ("ce_party", party.encode()), ("content-type", b"application/json")]
            return key, json.dumps(data, ensure_ascii=False).encode(), headers
        ce = {"specversion": "1.0", "id": eid, "source": source, "type": ce_type, "time": rfc3339(when),
              "datacontenttype": "application/json", "party": party, "data": data}
        return key, json.dumps(ce, ensure_ascii=False).encode(), [("content-type", b"application/cloudevents+json")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", default=os.environ.get("ESTD_KAFKA_BROKERS", "127.0.0.1:19092"))
    ap.add_argument("--topic", default="est.events")
    ap.add_argument("--topic-per-party", default=None, metavar="PREFIX",
                    help="produce each party's events to PREFIX.<party code> (topics bound to parties) "
                         "instead of --topic")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--database-url", default=None, help="database with the seeded areas")
    ap.add_argument("--weeks", type=int, default=8, help="spread occurrence times over this many weeks")
    ap.add_argument("--binary-ratio", type=float, default=0.5, help="share of binary-mode messages")
    ap.add_argument("--seed", type=int, default=None, help="random seed (deterministic output)")
    ap.add_argument("--run-id", default=None, help="event id prefix (default: random, so re-runs add events)")
    ap.add_argument("--create-topic", type=int, default=0, metavar="PARTITIONS",
                    help="create the topic with this many partitions first (if missing)")
    args = ap.parse_args()
    if not args.bootstrap.startswith("127.0.0.1:") and not args.bootstrap.startswith("localhost:"):
        print("warning: producing to a non-local broker", file=sys.stderr)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rnd = random.Random(seed)
    run_id = args.run_id or f"s{uuid.uuid4().hex[:8]}"
    areas = area_points(args.database_url or default_db_url(), 64, seed % 100000)
    gen = Generator(areas, args.weeks, rnd, run_id)
    if args.create_topic:
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": args.bootstrap})
        if args.topic not in admin.list_topics(timeout=10).topics:
            for f in admin.create_topics([NewTopic(args.topic, args.create_topic, 1)]).values():
                f.result(30)
    p = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
                  "queue.buffering.max.messages": 500000, "compression.type": "lz4", "acks": "all"})
    failed = []

    def on_delivery(err, _msg):
        if err:
            failed.append(str(err))

    t0 = time.time()
    for i in range(args.count):
        key, value, headers = gen.message(i, rnd.random() < args.binary_ratio)
        while True:
            try:
                topic = f"{args.topic_per_party}.{gen.last_party}" if args.topic_per_party else args.topic
                p.produce(topic, key=key, value=value, headers=headers, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        if i % 1000 == 0:
            p.poll(0)
    left = p.flush(120)
    if left or failed:
        sys.exit(f"sample_events.py: {left} undelivered, {len(failed)} failed: {failed[:3]}")
    print(json.dumps({"produced": args.count, "topic": args.topic_per_party + ".*" if args.topic_per_party else args.topic, "run_id": run_id, "seed": seed,
                      "seconds": round(time.time() - t0, 2)}))


if __name__ == "__main__":
    main()
