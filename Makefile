# kafkaproto: every install step lives here, so a fresh clone on a fresh machine needs only `make`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The pinned Kafka version lives in schemas/kafka.lock; `make codegen KAFKA_VERSION=x.y.z` moves the pin.
PINNED_KAFKA_VERSION := $(shell sed -n 's/^kafka_version *= *//p' schemas/kafka.lock 2>/dev/null)
KAFKA_VERSION ?= $(if $(PINNED_KAFKA_VERSION),$(PINNED_KAFKA_VERSION),4.4.0)

.PHONY: help setup schemas codegen check-generated test unit lint kcat

help:
	@echo "make codegen        set up, fetch the pinned Kafka schemas and regenerate generated/"
	@echo "make test           set up and run the whole test suite"
	@echo "make lint           ruff and mypy --strict over codegen, runtime and generated"
	@echo "make check-generated  fail if generated/ differs from a fresh regeneration"
	@echo "make upgrade-diff FROM=x.y.z  the diff a pin move from Kafka x.y.z makes in generated/"
	@echo "make broker         start one real Kafka broker on 127.0.0.1:9092 (make broker-stop)"
	@echo "make cluster        start a three-node Kafka cluster on 127.0.0.1:19092,19094,19096 (make cluster-stop)"
	@echo "make oracle         compile the Java oracle harness over kafka-clients"
	@echo "make conformance    every generated message version against Kafka's Java classes"

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

# How big a pin move's review would be: regenerate at Kafka $(FROM) into build/upgrade-diff and
# print, per module, the diff against the committed generated/ beside Kafka's own spec change.
.PHONY: upgrade-diff
upgrade-diff: setup
	@test -n "$(FROM)" || { echo "usage: make upgrade-diff FROM=x.y.z" >&2; exit 2; }
	$(PY) -m kafkaproto.codegen upgrade-diff --kafka-version $(KAFKA_VERSION) --from $(FROM)

unit: setup
	$(PY) -m pytest -q -m "not broker and not cluster and not oracle"

test: setup kcat broker oracle
	KAFKA_VERSION=$(KAFKA_VERSION) $(PY) -m pytest -q -m "not cluster"
	$(MAKE) test-cluster

# kcat (librdkafka's command-line client) for the interop tests; installed with apt-get when it
# is not on PATH (we run as root locally and in CI; anything else gets told what to do).
kcat:
	@command -v kcat >/dev/null && exit 0; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "kcat: not on PATH and cannot apt-get it here (needs root and apt-get);" \
			"install kcat (librdkafka's CLI) yourself" >&2; exit 1; fi; \
	echo "kcat: installing with apt-get"; \
	DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null && \
		kcat -V | grep -m1 Version

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
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests/runtime/records tests/runtime/test_protocol_fuzz.py tests/messages/test_fuzz_decoders.py

# The peers are benchmark-only (the `bench` extra); tests never need them.
bench-deps: setup
	$(PY) -m pip install --quiet -e '.[dev,bench]'

bench: bench-deps
	$(PY) bench/compression.py
	$(PY) bench/records.py
	$(PY) bench/codecs.py

# --- Real Kafka: jars from Maven, a broker, a three-node cluster, the Java oracle -------------------
# Broker management lives in tests/integration/kafka_cluster.py; the pytest fixtures import the same
# module, so a broker started here is reused by the tests and the other way round.
MVN ?= mvn
KAFKA_HOME := build/kafka-$(KAFKA_VERSION)
KAFKA_LIBS := $(KAFKA_HOME)/libs
KAFKA_JARS_STAMP := $(KAFKA_LIBS)/.complete
KAFKA_CLUSTER := $(PY) tests/integration/kafka_cluster.py --kafka-version $(KAFKA_VERSION)

.PHONY: kafka-jars broker broker-stop cluster cluster-stop test-cluster oracle conformance

kafka-jars: $(KAFKA_JARS_STAMP)
# A throwaway Maven project whose only job is copying Kafka and its runtime dependencies into libs/;
# the stamp is written last, so an interrupted download is redone.
$(KAFKA_JARS_STAMP): tests/integration/kafka-libs.pom.xml
	@echo "kafka-jars: fetching Kafka $(KAFKA_VERSION) (broker, tools, clients) with Maven into $(KAFKA_LIBS)"
	@rm -rf $(KAFKA_LIBS)
	@mkdir -p $(KAFKA_HOME)
	cp $< $(KAFKA_HOME)/pom.xml
	cd $(KAFKA_HOME) && $(MVN) -B -Dkafka.version=$(KAFKA_VERSION) \
		dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=libs
	@echo "kafka-jars: $$(ls $(KAFKA_LIBS) | wc -l) jars in $(KAFKA_LIBS)"
	@touch $@

broker: setup kafka-jars
	$(KAFKA_CLUSTER) start --nodes 1

broker-stop: setup
	$(KAFKA_CLUSTER) stop --nodes 1

cluster: setup kafka-jars
	$(KAFKA_CLUSTER) start --nodes 3

cluster-stop: setup
	$(KAFKA_CLUSTER) stop --nodes 3

# The cluster costs three JVMs, so it runs only for its own tests and is stopped afterwards.
test-cluster: cluster
	KAFKA_VERSION=$(KAFKA_VERSION) $(PY) -m pytest -q -m cluster; \
		status=$$?; $(KAFKA_CLUSTER) stop --nodes 3; exit $$status

# One long-lived JVM answering JSON-lines cases; tests/oracle/harness.py reads the class path
# recorded here, so it always runs against the jars it was compiled with.
oracle: $(ORACLE_DIR)/Harness.class
$(ORACLE_DIR)/Harness.class: tests/oracle/Harness.java $(KAFKA_JARS_STAMP)
	@mkdir -p $(ORACLE_DIR)
	javac -encoding UTF-8 --release 17 -Xlint:all -Werror -d $(ORACLE_DIR) \
		-cp '$(KAFKA_LIBS)/*' $<
	@echo "$(abspath $(ORACLE_DIR)):$(abspath $(KAFKA_LIBS))/*" > $(ORACLE_DIR)/classpath

# Producer throughput and latency against the real broker: kafkaproto vs aiokafka, kafka-python,
# confluent-kafka and Java's ProducerPerformance, plus the settings table (BENCHMARKS.md).
.PHONY: bench-producer
bench-producer: bench-deps broker
	$(PY) bench/producer.py $(BENCH_ARGS)

# Encode/decode of generated messages against kio and kafka-python 3 (BENCHMARKS.md).
.PHONY: bench-codecs
bench-codecs: bench-deps
	$(PY) bench/codecs.py

# Every generated request, response, header and data version against Kafka's Java classes, both
# directions, through one harness JVM (tests/oracle/conformance.py; `make conformance CASES=50`).
CASES ?= 20
SEED ?= 1
conformance: setup kafka-jars oracle
	$(PY) tests/oracle/conformance.py --cases $(CASES) --seed $(SEED)
