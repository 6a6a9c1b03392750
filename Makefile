# kafkaproto: every install step lives here, so a fresh clone on a fresh machine needs only `make`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The pinned Kafka version lives in schemas/kafka.lock; `make codegen KAFKA_VERSION=x.y.z` moves the pin.
PINNED_KAFKA_VERSION := $(shell sed -n 's/^kafka_version *= *//p' schemas/kafka.lock 2>/dev/null)
KAFKA_VERSION ?= $(if $(PINNED_KAFKA_VERSION),$(PINNED_KAFKA_VERSION),4.4.0)

.PHONY: help setup schemas codegen check-generated test unit lint

help:
	@echo "make codegen        set up, fetch the pinned Kafka schemas and regenerate generated/"
	@echo "make test           set up and run the whole test suite"
	@echo "make lint           ruff and mypy --strict over codegen, runtime and generated"
	@echo "make check-generated  fail if generated/ differs from a fresh regeneration"

# Creates .venv and installs the project editable with its dev tools; a no-op when pyproject.toml
# has not changed since the last install.
setup: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

schemas: setup
	$(PY) -m kafkaproto.codegen schemas --kafka-version $(KAFKA_VERSION)

codegen: setup
	$(PY) -m kafkaproto.codegen generate --kafka-version $(KAFKA_VERSION)

check-generated: setup
	$(PY) -m kafkaproto.codegen check --kafka-version $(KAFKA_VERSION)

unit: setup
	$(PY) -m pytest -q -m "not broker and not cluster and not oracle"

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check codegen runtime generated tests bench
	$(VENV)/bin/mypy codegen/kafkaproto runtime/kafkaproto generated/kafkaproto

# --- Java oracle (tests/oracle): kafka-clients at the pinned version, fetched by Maven, and the
# oracle programs compiled with plain javac into build/oracle. Tests marked `oracle` run
# `make oracle-java` themselves and skip only when no JDK is installed.
ORACLE_DIR := build/oracle
ORACLE_SRC := $(wildcard tests/oracle/java/*.java)
.PHONY: oracle-java
oracle-java: $(ORACLE_DIR)/classes/.compiled
$(ORACLE_DIR)/lib/.fetched: tests/oracle/java/pom.xml
	@command -v mvn >/dev/null || { echo "oracle-java: needs Maven (mvn) to fetch kafka-clients" >&2; exit 1; }
	rm -rf $(ORACLE_DIR)/lib && mkdir -p $(ORACLE_DIR)/lib
	mvn -q -B -f tests/oracle/java/pom.xml dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(ORACLE_DIR)/lib
	@touch $@
$(ORACLE_DIR)/classes/.compiled: $(ORACLE_DIR)/lib/.fetched $(ORACLE_SRC)
	rm -rf $(ORACLE_DIR)/classes && mkdir -p $(ORACLE_DIR)/classes
	javac -Xlint:all -d $(ORACLE_DIR)/classes -cp '$(ORACLE_DIR)/lib/*' $(ORACLE_SRC)
	@touch $@
# ---- records: long fuzz run and benchmarks against kafka-python / aiokafka -------------------
.PHONY: fuzz bench-deps bench
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests/runtime/records

# The peers are benchmark-only (the `bench` extra); tests never need them.
bench-deps: setup
	$(PY) -m pip install --quiet -e '.[dev,bench]'

bench: bench-deps
	$(PY) bench/compression.py
	$(PY) bench/records.py
