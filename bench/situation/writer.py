"""bench/situation/writer.py - continuous intake for the situation benchmark:
POST /v1/events batches (CloudEvents batch mode) at a fixed rate of incidents
into one area and week, through estd's HTTP intake (the same store path as
Kafka). Paced per 100 ms tick; prints one JSON line: events sent and stored,
seconds, the achieved rate and errors.

  python3 writer.py BASE_URL SOURCE LON LAT WEEK_MONDAY RATE SECONDS
"""
import datetime
import json
import random
import sys
import time
import uuid

import requests

base, source, lon, lat, monday, rate, seconds = sys.argv[1:8]
lon, lat, rate, seconds = float(lon), float(lat), int(rate), float(seconds)
monday = datetime.date.fromisoformat(monday)
CATS = ["skadegorelse", "klotter", "brand", "nedskrapning", "ordningsstorning", "narkotika", "inbrott_och_stold"]
tick = 0.1
per_tick = max(1, int(rate * tick))
run = uuid.uuid4().hex[:8]
s = requests.Session()
sent = stored = errors = n = 0
t0 = time.monotonic()
while time.monotonic() - t0 < seconds:
    due = t0 + tick * (n // per_tick + 1)
    batch = []
    for _ in range(per_tick):
        n += 1
        t = datetime.datetime.combine(monday, datetime.time(0), tzinfo=datetime.timezone(datetime.timedelta(hours=2))) \
            + datetime.timedelta(seconds=random.randrange(7 * 86400))
        batch.append({"specversion": "1.0", "id": f"w-{run}-{n}", "source": source, "type": "se.est.incident.v1",
                      "party": "polisen-boras", "datacontenttype": "application/json",
                      "data": {"occurred_at": t.isoformat(), "category": random.choice(CATS),
                               "location": {"lon": lon + random.gauss(0, 0.002), "lat": lat + random.gauss(0, 0.001)}}})
    try:
        r = s.post(base + "/v1/events", data=json.dumps(batch),
                   headers={"Content-Type": "application/cloudevents-batch+json"}, timeout=30)
        sent += len(batch)
        if r.status_code in (200, 201, 207):
            stored += r.json()["stored"]
        else:
            errors += 1
    except requests.RequestException:
        errors += 1
    pause = due - time.monotonic()
    if pause > 0:
        time.sleep(pause)
el = time.monotonic() - t0
print(json.dumps({"sent": sent, "stored": stored, "seconds": round(el, 2), "rate": round(sent / el), "errors": errors}))
