#!/usr/bin/env bash
# Start or stop the five services (API + worker each) as background processes, for `make run`.
# Logs: var/log/<service>-{api,worker}.log; pids: var/run/<service>-{api,worker}.pid. Stop kills only those pids.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SEEDBED="$ROOT/.venv/bin/seedbed"
PY="$ROOT/.venv/bin/python"
# The services and their API ports: the service catalogue (shared/catalogue.py).
SERVICES=()
declare -A PORT=()
while read -r svc port; do SERVICES+=("$svc"); PORT[$svc]=$port; done < <(python3 -m shared.catalogue ports)
((${#SERVICES[@]})) || { echo "services.sh: cannot read the service catalogue (python3 -m shared.catalogue ports)" >&2; exit 1; }
mkdir -p var/log var/run

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  for svc in "${SERVICES[@]}"; do
    for role in api worker; do
      pidfile="var/run/$svc-$role.pid"
      if alive "$pidfile"; then echo "$svc $role already running (pid $(cat "$pidfile"))"; continue; fi
      setsid nohup "$SEEDBED" "$svc" "$role" >>"var/log/$svc-$role.log" 2>&1 </dev/null &
      echo $! >"$pidfile"
    done
  done
  for svc in "${SERVICES[@]}"; do
    url="http://127.0.0.1:${PORT[$svc]}/healthz"
    if ! "$PY" - "$url" <<'PYEOF'
import sys, time, urllib.request
deadline = time.time() + 60
while time.time() < deadline:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.3)
sys.exit(1)
PYEOF
    then
      echo "$svc did not come up; last lines of var/log/$svc-api.log:" >&2
      tail -n 30 "var/log/$svc-api.log" >&2
      exit 1
    fi
  done
}

stop() {
  for svc in "${SERVICES[@]}"; do
    for role in api worker; do
      pidfile="var/run/$svc-$role.pid"
      if alive "$pidfile"; then
        kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
      fi
    done
  done
  for svc in "${SERVICES[@]}"; do
    for role in api worker; do
      pidfile="var/run/$svc-$role.pid"
      [ -f "$pidfile" ] || continue
      pid="$(cat "$pidfile")"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$pidfile"
    done
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
