# Seedbed — `make run` starts the whole suite with demo data; `make test` runs every test against real Kafka and
# real PostgreSQL. Both set up everything they need first (venv, packages, Kafka, PostgreSQL, topics, migrations).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SEEDBED := $(VENV)/bin/seedbed
# The services and their ports come from the service catalogue, read with the system python3 (no venv needed).
SERVICES := $(shell python3 -m shared.catalogue names)
ifeq ($(SERVICES),)
$(error cannot read the service catalogue: `python3 -m shared.catalogue names` failed)
endif
PYTEST_ARGS ?=

.PHONY: help setup run stop test token docs bench lint kafka postgres topics migrate demo clean

help:
	@echo "make run     start Kafka and the five services (SQLite under var/) with demo data"
	@echo "make test    run the whole suite against real Kafka and PostgreSQL"
	@echo "make stop    stop what make run started"
	@echo "make token ROLE=officer [USCC=...] [DISTRICT=330502 | CITY=1]   print a local bearer token"
	@echo "make docs    regenerate docs/openapi/*.json and docs/asyncapi.json"
	@echo "make bench   run the benchmarks in bench/"

# The venv is rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	@touch $@

setup: $(VENV)/.installed

kafka: setup
	@bash deploy/local/kafka.sh start

postgres:
	@bash deploy/local/postgres.sh start
	@bash deploy/local/postgres.sh createdbs

topics: kafka
	@$(SEEDBED) topics create

migrate: setup
	@for s in $(SERVICES); do $(SEEDBED) $$s migrate || exit 1; done

run: setup kafka topics migrate
	@bash deploy/local/services.sh start
	@$(MAKE) --no-print-directory demo
	@echo
	@echo "Seedbed is running (SQLite files and logs under var/):"
	@python3 -m shared.catalogue ports | while read -r s p; do \
	  printf '  %-10s http://127.0.0.1:%s/docs   (health /healthz, ready /readyz, metrics /metrics)\n' $$s $$p; done
	@echo "  Kafka      127.0.0.1:19092"
	@echo "A token for the API docs' Authorize button: make token ROLE=officer CITY=1"
	@echo "Stop everything with: make stop"

demo: setup
	@$(PY) -m services.registry.demo
	@$(PY) -m services.scenarios.demo
	@$(PY) -m services.funding.demo
	@$(PY) -m services.funding.demo_awards
	@$(PY) -m services.licensing.demo

stop:
	@bash deploy/local/services.sh stop
	@bash deploy/local/kafka.sh stop
	@bash deploy/local/postgres.sh stop

test: setup
	@bash deploy/local/test.sh $(PYTEST_ARGS)

token: setup
	@$(SEEDBED) token --role $(ROLE) $(if $(USCC),--uscc $(USCC)) $(if $(DISTRICT),--district $(DISTRICT)) $(if $(CITY),--city)

docs: setup
	@$(SEEDBED) docs

bench: setup kafka postgres topics
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean: stop
	rm -rf var

lint: setup
	@$(VENV)/bin/ruff check services shared tests bench deploy
