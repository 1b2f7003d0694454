#!/usr/bin/env python3
"""Prints what herald did in the demo: outcomes, dead letters, the schedule and the outbox."""
import json
import os
import subprocess
import sys

# argv: the outbox, then the redis-cli command line to reach Redis with (no password in it: the
# script that calls this exports REDISCLI_AUTH).
outbox, redis_cli = sys.argv[1], sys.argv[2:]


def stream(key, field):
    out = subprocess.run([*redis_cli, "--json", "XRANGE", key, "-", "+"],
                         capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip().startswith("["):
        rows = json.loads(out.stdout)
        return [dict(zip(fields[::2], fields[1::2])) for _, fields in rows]
    return []


print("\n== outcomes (herald:outcomes)")
print(f"  {'event':<14} {'channel':<7} {'result':<11} {'at':<22} reason")
for row in stream("herald:outcomes", "outcome"):
    o = json.loads(row["outcome"])
    print(f"  {o['event_id'] or '-':<14} {o['channel'] or '-':<7} {o['result']:<11} {o['at']:<22} "
          f"{o['reason'] or ''}")

print("\n== dead letters (herald:dead)")
for row in stream("herald:dead", "reason"):
    print(f"  - {row.get('reason')}")

print("\n== waiting in the schedule ({herald}:schedule:<channel>), due at the recipient's 09:00")
import datetime
for channel in ("email", "sms"):
    raw = subprocess.run([*redis_cli, "ZRANGE", "{herald}:schedule:" + channel, "0", "-1",
                          "WITHSCORES"], capture_output=True, text=True).stdout.split()
    for member, score in zip(raw[::2], raw[1::2]):
        due = datetime.datetime.fromtimestamp(int(float(score)) / 1000, datetime.timezone.utc)
        print(f"  {member:<22} due {due.isoformat().replace('+00:00', 'Z')}")

print(f"\n== messages written to the outbox ({outbox})")
for name in sorted(os.listdir(outbox)) if os.path.isdir(outbox) else []:
    with open(os.path.join(outbox, name)) as f:
        m = json.load(f)
    print(f"\n  -- {name}: {m['channel']} to {m['to']} ({m['language']})")
    if m.get("subject"):
        print(f"     Subject: {m['subject']}")
    for line in m["body"].splitlines():
        print(f"     {line}")
