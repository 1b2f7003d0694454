#!/usr/bin/env python3
"""Writes the demo's sample events into a directory; prints how many outcomes they should yield.

Which recipients are inside 09:00-20:00 depends on the moment the demo runs, so the time zones
are chosen now: DAY zones are well inside the window, NIGHT zones well outside it.
"""
import datetime
import json
import os
import sys
from zoneinfo import ZoneInfo

CANDIDATES = ["Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney",
              "America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland", "Europe/Berlin",
              "America/Sao_Paulo", "Asia/Dubai", "Asia/Kathmandu", "America/St_Johns"]


def pick(predicate):
    now = datetime.datetime.now(datetime.timezone.utc)
    for name in CANDIDATES:
        local = now.astimezone(ZoneInfo(name))
        minutes = local.hour * 60 + local.minute
        if predicate(minutes):
            return name
    raise SystemExit("no suitable time zone")


day = pick(lambda m: 9 * 60 + 30 <= m < 19 * 60)
night = pick(lambda m: m >= 21 * 60 or m < 8 * 60)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def event(n, status, recipient, data=None, case="GWF0123456%02d"):
    return {"id": f"evt-demo-{n:03d}", "case_ref": case % n, "status": status, "occurred_at": now,
            "recipient": recipient, "data": data or {}}


events = [
    # Sent now, email and SMS, in English; the name arrives in capitals.
    event(1, "application_received",
          {"name": "KATIE MCNALLY", "title": "Ms", "email": "katie@example.org",
           "phone": "07700 900123", "timezone": day, "language": "en"}),
    # Sent now, in Welsh, email only; "Mx" is not an accepted title and is dropped.
    event(2, "decision_dispatched",
          {"name": "Rhys ap Dafydd", "title": "Mx", "email": "rhys@example.org",
           "timezone": day, "language": "cy", "channels": ["email"]},
          {"vac_name": "Caerdydd"}),
    # Night where the recipient is: deferred to their 09:00.
    event(3, "documents_needed",
          {"name": "jo bloggs", "email": "jo@example.org", "phone": "+447700900456",
           "timezone": night},
          {"documents_due": "5 December 2026"}),
    # Night too, but the recipient consented to contact at any time: sent now.
    event(4, "application_received",
          {"name": "Sam O'Brien", "title": "Dr", "phone": "+447700900789", "timezone": night,
           "contact_anytime": True}),
]
broken = [
    "{this is not json",
    json.dumps(event(6, "application_received",
                     {"name": "A Person", "email": "a@example.org", "timezone": "Mars/Olympus_Mons"})),
    # documents_needed needs data.documents_due: no half-filled message is ever sent.
    json.dumps(event(7, "documents_needed", {"name": "B Person", "email": "b@example.org", "timezone": day})),
    json.dumps(event(8, "application_received",
                     {"name": "C Person", "email": "c@example.org\r\nBcc: all@example.org", "timezone": day})),
    json.dumps(event(9, "no_such_status", {"email": "d@example.org", "timezone": day})),
]
# The same event published twice: the second is suppressed, never sent twice.
duplicate = json.dumps(events[0])

out = sys.argv[1]
os.makedirs(out)
texts = [json.dumps(e) for e in events] + broken + [duplicate]
for i, text in enumerate(texts):
    with open(os.path.join(out, f"{i:02d}.json"), "w") as f:
        f.write(text)

channels = {1: 2, 2: 1, 3: 2, 4: 1}
print(sum(channels.values()) + len(broken) + 2)  # the duplicate yields one outcome per channel
