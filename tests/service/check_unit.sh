#!/usr/bin/env bash
# The systemd unit: its hardening scores at most 1.5 under `systemd-analyze security --offline`,
# and it has what the service issue asks for (notify, watchdog, reload, restart, credentials).
set -euo pipefail
unit=${1:?usage: check_unit.sh UNIT_FILE}
fail=0

report=$(systemd-analyze security --offline=yes "$unit" 2>&1) || true
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$report")
if [[ -z "$score" ]]; then
  echo "no score in systemd-analyze's report:"; echo "$report"; exit 1
fi
echo "exposure score: $score"
if ! awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }'; then
  echo "FAIL: exposure $score is above 1.5"; grep '✗' <<<"$report"; fail=1
fi

for line in 'Type=notify' 'WatchdogSec=' 'Restart=on-failure' 'ExecReload=/bin/kill -HUP $MAINPID' \
            'User=herald' 'StateDirectory=herald' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
            'PrivateTmp=yes' 'CapabilityBoundingSet=$' 'SystemCallFilter=@system-service' \
            'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' '#LoadCredential=' \
            'ExecStartPre=/usr/bin/herald check-config' 'ExecReload=/usr/bin/herald check-config' \
            'LimitCORE=0$' 'LimitNOFILE=65536$'; do
  if ! grep -q "^${line}" "$unit"; then echo "FAIL: no '${line}' in $unit"; fail=1; fi
done
# The check before the signal: systemd runs ExecReload= lines in order and stops at a failure.
reloads=$(grep '^ExecReload=' "$unit" | cut -d' ' -f1)
if [[ $reloads != $'ExecReload=/usr/bin/herald\nExecReload=/bin/kill' ]]; then
  echo "FAIL: ExecReload must run check-config, then kill -HUP"; fail=1
fi
# TimeoutStopSec must leave the default drain (10 s) time to finish.
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
if [[ -z "$stop" || "$stop" -le 10 ]]; then echo "FAIL: TimeoutStopSec must exceed 10s"; fail=1; fi
((fail == 0)) && echo "unit ok"
exit $fail
