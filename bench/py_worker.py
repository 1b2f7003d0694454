#!/usr/bin/python3
"""The same job as herald, written the straightforward way: a Python asyncio worker.

It is the yardstick for herald's throughput (BENCHMARKS.md), so it does every step herald does
for an event that goes out at once, and nothing herald does not:

  XREADGROUP a batch -> per entry: parse and check the JSON, pick the channels, the recipient's
  contact window in their time zone, render the template, dedup (SET NX on the notification id),
  POST to the webhook with Idempotency-Key, record the outcome (XADD) and XACK.

Uses Debian's python3-redis (redis.asyncio) and python3-aiohttp only.

    py_worker.py --redis redis://127.0.0.1:6379/0 --email URL --sms URL --expect 100000
"""
import argparse
import asyncio
import datetime
import json
import re
import sys
import time
import zoneinfo

import aiohttp
import redis.asyncio as redis

STREAM, GROUP, OUTCOMES = "herald:events", "herald", "herald:outcomes"
TEMPLATES = {
    ("email", "en"): ("Your application {{case_ref}}",
                      "Dear {{salutation}},\n\nYour application {{case_ref}} has a new status: "
                      "{{status}}.\n"),
    ("email", "cy"): ("Eich cais {{case_ref}}",
                      "Annwyl {{salutation}},\n\nMae statws newydd i'ch cais {{case_ref}}.\n"),
    ("sms", "en"): (None, "Application {{case_ref}}: {{status}}. {{data.office}}"),
    ("sms", "cy"): (None, "Cais {{case_ref}}: statws newydd. {{data.office}}"),
}
TITLES = {"mr": "Mr", "mrs": "Mrs", "miss": "Miss", "ms": "Ms", "dr": "Dr"}
TAG = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
ZONES = {}


def render(text, variables):
    def value(match):
        node = variables
        for part in match.group(1).split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(match.group(1))
            node = node[part]
        return str(node)
    return TAG.sub(value, text)


def salutation(title, name):
    parts = [p.capitalize() for p in name.split()]
    t = TITLES.get(title.lower().rstrip("."), "")
    if t and parts:
        return f"{t} {parts[-1]}"
    return " ".join(parts)


def in_window(tz_name, anytime, start=9, end=20):
    if anytime:
        return True
    zone = ZONES.get(tz_name)
    if zone is None:
        zone = ZONES[tz_name] = zoneinfo.ZoneInfo(tz_name)
    hour = datetime.datetime.now(zone).hour
    return start <= hour < end


class Worker:
    def __init__(self, args):
        self.args = args
        self.done = 0
        self.first_read = None
        self.last_ack = None

    async def handle(self, r, http, entry_id, fields):
        try:
            event = json.loads(fields[b"event"])
            recipient = event["recipient"]
            for key in ("id", "case_ref", "status", "occurred_at"):
                if not isinstance(event[key], str):
                    raise ValueError(key)
            tz = recipient.get("timezone", "Europe/London")
            language = recipient.get("language", "en")
            channels = recipient.get("channels", ["email", "sms"])
            window_open = in_window(tz, recipient.get("contact_anytime", False),
                                    self.args.window_start, self.args.window_end)
        except (KeyError, ValueError, TypeError, zoneinfo.ZoneInfoNotFoundError) as e:
            await r.xadd("herald:dead", {"event": fields.get(b"event", b""), "reason": str(e)})
            await r.xack(STREAM, GROUP, entry_id)
            return
        variables = {"case_ref": event["case_ref"], "status": event["status"],
                     "salutation": salutation(recipient.get("title", ""),
                                              recipient.get("name", "")),
                     "data": event.get("data", {})}
        for channel in channels:
            to = recipient.get("email" if channel == "email" else "phone")
            if not to:
                continue
            nid = f"{event['id']}:{channel}"
            if not window_open:
                outcome = {"event_id": event["id"], "channel": channel, "result": "deferred"}
                await r.xadd(OUTCOMES, {"outcome": json.dumps(outcome)})
                continue
            subject, body = TEMPLATES[(channel, language)]
            message = {"id": nid, "channel": channel, "to": to, "body": render(body, variables),
                       "reference": event["case_ref"], "event_id": event["id"],
                       "status": event["status"], "language": language}
            if subject:
                message["subject"] = render(subject, variables)
            if not await r.set(f"py:n:{nid}", "sending", nx=True):
                continue  # a duplicate
            url = self.args.email if channel == "email" else self.args.sms
            async with http.post(url, json=message, headers={"Idempotency-Key": nid}) as resp:
                await resp.read()
                result = "sent" if 200 <= resp.status < 300 else "failed"
            outcome = {"event_id": event["id"], "case_ref": event["case_ref"],
                       "status": event["status"], "channel": channel, "result": result,
                       "attempt": 1, "at": datetime.datetime.utcnow().isoformat() + "Z"}
            await r.xadd(OUTCOMES, {"outcome": json.dumps(outcome)})
            await r.set(f"py:n:{nid}", result)
        await r.xack(STREAM, GROUP, entry_id)

    async def run(self):
        r = redis.Redis.from_url(self.args.redis, max_connections=self.args.concurrency + 8)
        try:
            await r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except redis.ResponseError:
            pass
        connector = aiohttp.TCPConnector(limit=self.args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            while self.done < self.args.expect:
                reply = await r.xreadgroup(GROUP, "py-worker", {STREAM: ">"},
                                           count=self.args.concurrency, block=1000)
                if not reply:
                    continue
                if self.first_read is None:
                    self.first_read = time.time()
                entries = reply[0][1]
                await asyncio.gather(*(self.handle(r, http, i, f) for i, f in entries))
                self.done += len(entries)
        self.last_ack = time.time()
        await r.aclose() if hasattr(r, "aclose") else await r.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--sms", required=True)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=256)
    # The contact window, whole hours in the recipient's zone; the benchmark gives herald and this
    # worker the same one (open all day for the throughput run, so the time of day cannot matter).
    parser.add_argument("--window-start", type=int, default=9)
    parser.add_argument("--window-end", type=int, default=20)
    args = parser.parse_args()
    worker = Worker(args)
    asyncio.run(worker.run())
    seconds = worker.last_ack - worker.first_read
    print(json.dumps({"events": worker.done, "seconds": round(seconds, 3),
                      "events_per_second": round(worker.done / seconds, 1)}))


if __name__ == "__main__":
    sys.exit(main())
