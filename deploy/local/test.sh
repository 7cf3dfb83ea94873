#!/usr/bin/env bash
# `make test`: start Kafka and PostgreSQL when they are not running, run the whole suite, and stop only what this
# script started. The exit code is pytest's (5, "no tests ran", counts as a failure: a run that tested nothing).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

started=()
cleanup() {
  for what in "${started[@]}"; do bash "deploy/local/$what.sh" stop || true; done
}
trap cleanup EXIT

# The jars also serve the e2e tests that run a broker of their own, even when a running broker is reused.
bash deploy/local/kafka.sh fetch || exit 1
if ! bash deploy/local/kafka.sh status >/dev/null 2>&1; then
  bash deploy/local/kafka.sh start || exit 1
  [ -f var/run/kafka.pid ] && started+=(kafka)
fi
if ! bash deploy/local/postgres.sh status >/dev/null 2>&1; then
  bash deploy/local/postgres.sh start || exit 1
  [ -f var/run/postgres.started ] && started+=(postgres)
fi
bash deploy/local/postgres.sh createdbs || exit 1

bash deploy/k8s/install-kustomize.sh || exit 1

# Lint first: it takes a second and catches undefined names and unused imports before a long run.
.venv/bin/ruff check services shared tests bench deploy || exit 1

# The suite runs in as many pytest-xdist workers as the machine has cores (SEEDBED_TEST_WORKERS overrides; 0 runs
# in one process). A test file stays on one worker (--dist loadfile), so its module fixtures are built once;
# each worker has databases of its own (tests/support.py DB_SUFFIX).
.venv/bin/python -m pytest -n "${SEEDBED_TEST_WORKERS:-auto}" --dist loadfile "$@"
rc=$?
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing the run" >&2; rc=1; fi
exit "$rc"
