# kafkaproto: every install step lives here, so a fresh clone on a fresh machine needs only `make`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The pinned Kafka version lives in schemas/kafka.lock; `make codegen KAFKA_VERSION=x.y.z` moves the pin.
PINNED_KAFKA_VERSION := $(shell sed -n 's/^kafka_version *= *//p' schemas/kafka.lock 2>/dev/null)
KAFKA_VERSION ?= $(if $(PINNED_KAFKA_VERSION),$(PINNED_KAFKA_VERSION),4.4.0)

.PHONY: help setup schemas codegen check-generated test unit test-pythons lint kcat

help: ## list every target with what it does
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z][a-zA-Z0-9_-]*:.*## / {printf "make %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Creates .venv and installs the project editable with its dev tools; a no-op when pyproject.toml
# has not changed since the last install. Then `make compile`: the compiled hot path in place.
setup: $(VENV)/.installed compile ## create .venv, install kafkaproto editable with its dev tools, compile the hot path
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	KAFKAPROTO_COMPILE=0 $(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# The compiled hot path (hatch_build.py, kafkaproto.compiled.MODULES): mypyc compiles the hot
# modules into extensions beside their sources, redone when one of them changes. The one switch:
# KAFKAPROTO_COMPILE=0 (make setup, make compile, pip, python -m build) builds pure Python and
# removes the in-place extensions. No C compiler: a one-line notice and pure Python.
KAFKAPROTO_COMPILE ?= 1
export KAFKAPROTO_COMPILE
COMPILED_SOURCES := $(shell $(PYTHON) hatch_build.py --sources 2>/dev/null)
COMPILE_STAMP := $(VENV)/.compiled-$(KAFKAPROTO_COMPILE)
.PHONY: compile
compile: $(COMPILE_STAMP) ## compile the hot path with mypyc in place (KAFKAPROTO_COMPILE=0: remove it)
$(COMPILE_STAMP): $(VENV)/.installed hatch_build.py runtime/kafkaproto/compiled.py $(COMPILED_SOURCES)
	@rm -f $(VENV)/.compiled-*
	$(PY) hatch_build.py
	@touch $@

# The compiler reads the kafka-clients jar that `make kafka-jars` fetched: one way to fetch jars.
KAFKA_CLIENTS_JAR = $(abspath $(KAFKA_LIBS))/kafka-clients-$(KAFKA_VERSION).jar
schemas: setup kafka-jars ## check the pinned Kafka specs (from the kafka-clients jar) against schemas/kafka.lock
	KAFKA_CLIENTS_JAR=$(KAFKA_CLIENTS_JAR) $(PY) -m kafkaproto.codegen schemas --kafka-version $(KAFKA_VERSION)

codegen: setup kafka-jars ## regenerate generated/ from the pinned specs (KAFKA_VERSION=x.y.z moves the pin)
	KAFKA_CLIENTS_JAR=$(KAFKA_CLIENTS_JAR) $(PY) -m kafkaproto.codegen generate --kafka-version $(KAFKA_VERSION)

check-generated: setup kafka-jars ## fail if generated/ differs from a fresh regeneration
	KAFKA_CLIENTS_JAR=$(KAFKA_CLIENTS_JAR) $(PY) -m kafkaproto.codegen check --kafka-version $(KAFKA_VERSION)

# How big a pin move's review would be: regenerate at Kafka $(FROM) (its jars fetched like the
# pinned ones) into build/upgrade-diff and print, per module, the diff against the committed
# generated/ beside Kafka's own spec change.
.PHONY: upgrade-diff
upgrade-diff: setup kafka-jars ## FROM=x.y.z: the diff a pin move from Kafka x.y.z makes in generated/, per module
	@test -n "$(FROM)" || { echo "usage: make upgrade-diff FROM=x.y.z" >&2; exit 2; }
	$(MAKE) --no-print-directory kafka-jars KAFKA_VERSION=$(FROM)
	KAFKA_CLIENTS_JAR=$(KAFKA_CLIENTS_JAR) \
	KAFKA_FROM_CLIENTS_JAR=$(abspath build/kafka-$(FROM)/libs)/kafka-clients-$(FROM).jar \
		$(PY) -m kafkaproto.codegen upgrade-diff --kafka-version $(KAFKA_VERSION) --from $(FROM)

# The unit suite twice: as built (compiled where `make compile` compiled), then the same sources
# interpreted (KAFKAPROTO_PURE_PYTHON=1), the reference path. KAFKAPROTO_EXPECT tells
# tests/test_compiled.py which of the two each run must be.
UNIT_MARKS := -m "not broker and not cluster and not oracle"
EXPECT_BUILT := $(if $(filter 0 false no off,$(KAFKAPROTO_COMPILE)),pure,compiled)
unit: setup ## tests that need no broker and no JVM, compiled and pure Python
	KAFKAPROTO_EXPECT=$(EXPECT_BUILT) $(PY) -m pytest -q $(UNIT_MARKS)
	KAFKAPROTO_EXPECT=pure KAFKAPROTO_PURE_PYTHON=1 $(PY) -m pytest -q -p no:cacheprovider $(UNIT_MARKS)

# Every supported CPython (3.11 up) found on this machine, each with its own venv (.venv-3.x): the
# unit suite, compiled in place for that Python (`make unit`'s first run; its pure-Python run is
# on .venv's). Looks in pyenv's versions and on PATH; fails if none is found or a suite fails.
# PYTHON_VERSIONS narrows the list.
PYTHON_VERSIONS ?= 3.11 3.12 3.13 3.14
test-pythons: ## the unit suite on every CPython from 3.11 up found here (pyenv or PATH), own venvs
	@found=""; for v in $(PYTHON_VERSIONS); do \
		py=$$(ls -d $$HOME/.pyenv/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -n 1); \
		[ -n "$$py" ] || py=$$(command -v python$$v 2>/dev/null) || true; \
		if [ -z "$$py" ] || ! "$$py" -c 'import sys' 2>/dev/null; then \
			echo "test-pythons: CPython $$v not found, skipped"; continue; fi; \
		echo "test-pythons: CPython $$v ($$py)"; \
		venv=.venv-$$v; \
		if [ ! -f $$venv/.installed ] || [ pyproject.toml -nt $$venv/.installed ]; then \
			{ test -x $$venv/bin/python || "$$py" -m venv $$venv; } && \
			$$venv/bin/python -m pip install --quiet --upgrade pip && \
			KAFKAPROTO_COMPILE=0 $$venv/bin/python -m pip install --quiet -e '.[dev]' && \
			touch $$venv/.installed || exit 1; \
		fi; \
		$$venv/bin/python hatch_build.py || exit 1; \
		KAFKAPROTO_EXPECT=$(EXPECT_BUILT) $$venv/bin/python -m pytest -q -p no:cacheprovider $(UNIT_MARKS) \
			|| exit 1; \
		found="$$found $$v"; \
	done; \
	if [ -z "$$found" ]; then echo "test-pythons: no CPython >= 3.11 found" >&2; exit 1; fi; \
	echo "test-pythons: unit suite passed on CPython$$found"

test: setup kcat broker oracle ## everything: unit, broker, Java oracle, unit again in pure Python, then the cluster tests
	KAFKAPROTO_EXPECT=$(EXPECT_BUILT) KAFKA_VERSION=$(KAFKA_VERSION) $(PY) -m pytest -q -m "not cluster"
	KAFKAPROTO_EXPECT=pure KAFKAPROTO_PURE_PYTHON=1 $(PY) -m pytest -q -p no:cacheprovider $(UNIT_MARKS)
	$(MAKE) test-cluster

# kcat (librdkafka's command-line client) for the interop tests; installed with apt-get when it
# is not on PATH (we run as root locally and in CI; anything else gets told what to do).
kcat: ## install kcat (librdkafka's CLI) with apt-get unless it is on PATH
	@command -v kcat >/dev/null && exit 0; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "kcat: not on PATH and cannot apt-get it here (needs root and apt-get);" \
			"install kcat (librdkafka's CLI) yourself" >&2; exit 1; fi; \
	echo "kcat: installing with apt-get"; \
	DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null && \
		kcat -V | grep -m1 Version

lint: setup ## ruff and mypy --strict over codegen, runtime, generated and the build hook
	$(VENV)/bin/ruff check codegen runtime generated tests bench docs hatch_build.py
	$(VENV)/bin/mypy codegen/kafkaproto runtime/kafkaproto generated/kafkaproto hatch_build.py

# --- Distributions: an sdist, a pure wheel and a platform (compiled) wheel in dist/, each checked
# in a scratch venv; and the sdist installed where the C compiler is missing (CC points nowhere),
# which must give pure Python, not a failed install. The scratch venvs live in build/dist-check.
.PHONY: dist check-dist
dist: setup ## build dist/: the sdist, the pure wheel (py3-none-any) and the platform wheel (mypyc)
	@rm -rf dist
	$(PY) -m build --sdist --outdir dist
	KAFKAPROTO_COMPILE=0 $(PY) -m build --wheel --outdir dist
	KAFKAPROTO_COMPILE=1 $(PY) -m build --wheel --outdir dist
	@ls -l dist

check-dist: dist ## install each distribution in a scratch venv and check what `kafkaproto version` says
	$(PY) tests/dist_check.py dist build/dist-check

# --- Documentation: the public API from docstrings (pdoc, docs/build_api.py) and the protocol from
# the pinned specs (kafkaproto.codegen.reference), in build/docs; any warning fails the build.
.PHONY: docs docs-deps
docs-deps: $(VENV)/.docs-installed ## install pdoc (the `docs` extra) into .venv
$(VENV)/.docs-installed: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,docs]'
	@touch $@

docs: docs-deps schemas ## HTML API reference (pdoc) and protocol reference (from the specs) in build/docs
	@rm -rf build/docs && mkdir -p build/docs
	$(PY) -m kafkaproto.codegen.reference --schemas schemas --output build/docs/protocol
	$(PY) docs/build_api.py build/docs/api
	@printf '%s\n' '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>kafkaproto</title></head>' \
		'<body><h1>kafkaproto documentation</h1><ul><li><a href="api/index.html">Python API</a></li>' \
		'<li><a href="protocol/index.html">Kafka protocol reference</a></li></ul></body></html>' \
		> build/docs/index.html
	@echo "docs: build/docs/index.html"

# ---- records: long fuzz run and benchmarks against kafka-python / aiokafka -------------------
.PHONY: fuzz bench-deps bench
fuzz: setup ## the long fuzz run of every decoder
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests/runtime/records tests/runtime/test_protocol_fuzz.py tests/messages/test_fuzz_decoders.py tests/messages/test_table_decoder.py

# The peers are benchmark-only (the `bench` extra); tests never need them.
bench-deps: setup ## install the benchmark peers (kafka-python, aiokafka, confluent-kafka, kio)
	$(PY) -m pip install --quiet -e '.[dev,bench]'

bench: bench-deps ## record, compression and codec benchmarks against the peers
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

kafka-jars: $(KAFKA_JARS_STAMP) ## the one fetch of Kafka's jars (broker, tools, clients) with Maven into build/kafka-<version>/libs
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

# The secured test broker makes its certificates with the openssl command.
.PHONY: openssl
openssl: ## install the openssl command with apt-get unless it is on PATH (the secured test broker)
	@command -v openssl >/dev/null && exit 0; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "openssl: not on PATH and cannot apt-get it here; install openssl yourself" >&2; exit 1; fi; \
	DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null

broker: setup kafka-jars openssl ## start one real Kafka broker on 127.0.0.1:9092 (or KAFKAPROTO_KAFKA_PORT), secured listeners on port+2..+7
	$(KAFKA_CLUSTER) start --nodes 1

broker-stop: setup ## stop the broker and delete its data
	$(KAFKA_CLUSTER) stop --nodes 1

cluster: setup kafka-jars ## start the three-node cluster (ports port+10000..+10005)
	$(KAFKA_CLUSTER) start --nodes 3

cluster-stop: setup ## stop the cluster and delete its data
	$(KAFKA_CLUSTER) stop --nodes 3

# The cluster costs three JVMs, so it runs only for its own tests and is stopped afterwards.
test-cluster: cluster ## start the cluster, run the tests marked cluster, stop it
	KAFKA_VERSION=$(KAFKA_VERSION) $(PY) -m pytest -q -m cluster; \
		status=$$?; $(KAFKA_CLUSTER) stop --nodes 3; exit $$status

# The Java oracle: every program of tests/oracle/java (the long-lived Harness and the small programs
# it runs) compiled with plain javac against the jars of `make kafka-jars`; tests/oracle/harness.py
# reads the class path recorded here, so it always runs against the jars it was compiled with.
ORACLE_DIR := build/oracle
ORACLE_SRC := $(wildcard tests/oracle/java/*.java)
oracle: $(ORACLE_DIR)/.compiled ## compile the Java oracle (tests/oracle/java) over the fetched kafka-clients
$(ORACLE_DIR)/.compiled: $(ORACLE_SRC) $(KAFKA_JARS_STAMP)
	@rm -rf $(ORACLE_DIR) && mkdir -p $(ORACLE_DIR)
	javac -encoding UTF-8 --release 17 -Xlint:all -Werror -d $(ORACLE_DIR) \
		-cp '$(KAFKA_LIBS)/*' $(ORACLE_SRC)
	@echo "$(abspath $(ORACLE_DIR)):$(abspath $(KAFKA_LIBS))/*" > $(ORACLE_DIR)/classpath
	@touch $@

# Producer throughput and latency against the real broker: kafkaproto vs aiokafka, kafka-python,
# confluent-kafka and Java's ProducerPerformance, plus the settings table (BENCHMARKS.md).
.PHONY: bench-producer
bench-producer: bench-deps broker bench-java ## producer throughput and latency against the real broker and the peers
	$(PY) bench/producer.py $(BENCH_ARGS)

# The Java side of the transactional benchmark (commit every N records, which
# ProducerPerformance cannot do), compiled against the fetched kafka-clients.
BENCH_JAVA_SRC := $(wildcard bench/java/*.java)
.PHONY: bench-java
bench-java: build/bench/classes/.compiled ## compile the Java side of the transactional producer benchmark
build/bench/classes/.compiled: $(BENCH_JAVA_SRC) $(KAFKA_JARS_STAMP)
	rm -rf build/bench/classes && mkdir -p build/bench/classes
	javac -encoding UTF-8 --release 17 -Xlint:all -d build/bench/classes -cp '$(KAFKA_LIBS)/*' $(BENCH_JAVA_SRC)
	@touch $@

# Consumer throughput: 1,000,000 records of 100 bytes already on the broker, read by kafkaproto's
# two faces, aiokafka, kafka-python, confluent-kafka and Java's ConsumerPerformance (BENCHMARKS.md).
.PHONY: bench-consumer
bench-consumer: bench-deps broker ## consumer throughput against the real broker and the peers
	$(PY) bench/consumer.py $(BENCH_ARGS)

# Encode/decode of generated messages against kio and kafka-python 3 (BENCHMARKS.md).
.PHONY: bench-codecs
bench-codecs: bench-deps ## encode/decode of generated messages against kio and kafka-python
	$(PY) bench/codecs.py

# Every generated request, response, header and data version against Kafka's Java classes, both
# directions, through one harness JVM (tests/oracle/conformance.py; `make conformance CASES=50`).
CASES ?= 20
SEED ?= 1
conformance: setup kafka-jars oracle ## every generated message version against Kafka's Java classes (CASES=20)
	$(PY) tests/oracle/conformance.py --cases $(CASES) --seed $(SEED)
