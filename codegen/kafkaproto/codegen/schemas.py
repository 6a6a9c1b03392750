"""The schema pin: read Kafka's JSON message specs and its error table from the official
kafka-clients jar (fetched by `make kafka-jars`) and check them against the committed lock
(``schemas/kafka.lock``).

The JSON itself is never committed: it is extracted into the git-ignored ``schemas/json/``. The
error table (code, name, retriable, invalid-metadata, default message of every entry of Kafka's
``Errors`` enum) is read from the jar's own classes by ``java/ErrorsExtract.java`` into
``schemas/json/Errors.tsv``. The lock holds the Kafka version, one sha256 per spec file and the
sha256 of the error table; asking for another version rewrites it (that is how the pin moves),
while a mismatch at the pinned version is an error.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SPEC_PREFIX = "common/message/"
ERRORS_FILE = "Errors.tsv"
LOCK_HEADER = """\
# The Kafka version kafkaproto's messages are generated from, the sha256 of the error table read
# from that version's org.apache.kafka:kafka-clients jar (ErrorsExtract.java's output) and of every
# JSON message spec in the jar. Written by `make codegen KAFKA_VERSION=x.y.z` (which moves the
# pin); `make schemas` checks the fetched files against it.
"""


class SchemaError(RuntimeError):
    """The specs could not be fetched, or do not match the pin."""


@dataclass(frozen=True)
class Lock:
    kafka_version: str
    sha256: dict[str, str]  # file name -> hex digest
    errors_sha256: str = ""  # of the error table extracted from the jar ("": not locked yet)

    def text(self) -> str:
        lines = [LOCK_HEADER, f"kafka_version = {self.kafka_version}\n"]
        if self.errors_sha256:
            lines.append(f"errors_sha256 = {self.errors_sha256}\n")
        lines += [f"{digest}  {name}\n" for name, digest in sorted(self.sha256.items())]
        return "".join(lines)

    @classmethod
    def read(cls, path: Path) -> Lock | None:
        if not path.exists():
            return None
        version = ""
        errors = ""
        digests: dict[str, str] = {}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("kafka_version"):
                version = line.split("=", 1)[1].strip()
                continue
            if line.startswith("errors_sha256"):
                errors = line.split("=", 1)[1].strip()
                continue
            parts = line.split()
            if len(parts) != 2 or len(parts[0]) != 64:
                raise SchemaError(f"{path}:{n}: expected '<sha256>  <file>', got {line!r}")
            digests[parts[1]] = parts[0]
        if not version:
            raise SchemaError(f"{path}: no kafka_version line")
        return cls(version, digests, errors)


def fetch_jar(
    version: str, log: Callable[[str], None] = print, env: str = "KAFKA_CLIENTS_JAR"
) -> Path:
    """The kafka-clients jar of ``version``: the one ``make kafka-jars`` fetched with Maven (the
    project's one way to fetch Kafka's jars), named by ``$KAFKA_CLIENTS_JAR`` (``env``: another
    variable naming another version's jar, as ``make upgrade-diff`` does)."""
    named = os.environ.get(env)
    if not named:
        raise SchemaError(
            f"{env} is not set: run the compiler through `make codegen` (or `make "
            "kafka-jars` and set it to build/kafka-<version>/libs/kafka-clients-<version>.jar)"
        )
    jar = Path(named)
    if jar.name != f"kafka-clients-{version}.jar":
        raise SchemaError(f"{env}={jar} is not kafka-clients {version}")
    if not jar.is_file():
        raise SchemaError(f"{jar} does not exist: run `make kafka-jars KAFKA_VERSION={version}`")
    log(f"schemas: reading {jar}")
    return jar


def extract_errors(jar: Path, log: Callable[[str], None] = print) -> bytes:
    """Kafka's error table, read from the jar's own ``Errors`` enum by
    ``java/ErrorsExtract.java`` (run with Java's single-file source launcher; needs a JDK). The
    class path is the jar's folder as ``make kafka-jars`` fills it: kafka-clients and its runtime
    dependencies (``Errors`` logs through slf4j)."""
    java = shutil.which("java")
    if java is None:
        raise SchemaError("java is not installed; reading Kafka's error table needs a JDK")
    source = resources.files("kafkaproto.codegen") / "java" / "ErrorsExtract.java"
    with resources.as_file(source) as path:
        result = subprocess.run(
            [java, "-cp", f"{jar}{os.pathsep}{jar.parent / '*'}", str(path)],
            capture_output=True,
            timeout=300,
        )
    if result.returncode != 0 or not result.stdout:
        tail = "\n".join(result.stderr.decode(errors="replace").strip().splitlines()[-5:])
        raise SchemaError(f"ErrorsExtract.java failed on {jar.name}:\n{tail}")
    log(f"schemas: error table read from {jar.name}")
    return result.stdout


def specs_in_jar(jar: Path) -> dict[str, bytes]:
    """Every ``common/message/*.json`` in the jar, by file name."""
    with zipfile.ZipFile(jar) as zf:
        return {
            info.filename[len(SPEC_PREFIX) :]: zf.read(info)
            for info in zf.infolist()
            if info.filename.startswith(SPEC_PREFIX)
            and info.filename.endswith(".json")
            and "/" not in info.filename[len(SPEC_PREFIX) :]
        }


def digests(specs: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in specs.items()}


@dataclass(frozen=True)
class Pinned:
    """What the compiler reads from a Kafka version: its message specs by file name and its
    error table (``ErrorsExtract.java``'s output)."""

    specs: dict[str, bytes]
    errors: bytes


def sync(schemas_dir: Path, version: str, log: Callable[[str], None] = print) -> Pinned:
    """Make ``schemas_dir/json`` hold the specs and the error table of ``version`` and check
    them against the lock.

    At the pinned version a mismatch is an error; at another version the lock is rewritten."""
    lock_path = schemas_dir / "kafka.lock"
    json_dir = schemas_dir / "json"
    lock = Lock.read(lock_path)
    at_pin = lock is not None and lock.kafka_version == version
    specs = _cached(json_dir, lock) if lock is not None and at_pin else None
    if specs is None:
        specs = specs_in_jar(fetch_jar(version, log))
        if not specs:
            raise SchemaError(f"kafka-clients {version} holds no {SPEC_PREFIX}*.json")
        json_dir.mkdir(parents=True, exist_ok=True)
        for stale in json_dir.glob("*.json"):
            if stale.name not in specs:
                stale.unlink()
        for name, data in specs.items():
            (json_dir / name).write_bytes(data)
    errors_path = json_dir / ERRORS_FILE
    errors: bytes | None = None
    if lock is not None and at_pin and lock.errors_sha256 and errors_path.exists():
        cached = errors_path.read_bytes()
        if hashlib.sha256(cached).hexdigest() == lock.errors_sha256:
            errors = cached
    if errors is None:
        log(f"schemas: reading the error table of kafka-clients {version} (java) ...")
        errors = extract_errors(fetch_jar(version, log), log)
        json_dir.mkdir(parents=True, exist_ok=True)
        errors_path.write_bytes(errors)
    found = digests(specs)
    errors_sha = hashlib.sha256(errors).hexdigest()
    if lock is None or not at_pin:
        before = f" (was {lock.kafka_version})" if lock is not None else ""
        lock_path.write_text(Lock(version, found, errors_sha).text(), encoding="utf-8")
        log(f"schemas: pinned Kafka {version}{before}: {len(found)} specs, lock rewritten")
        return Pinned(specs, errors)
    problems = []
    for name in sorted(set(found) | set(lock.sha256)):
        if name not in found:
            problems.append(f"  missing from the jar: {name}")
        elif name not in lock.sha256:
            problems.append(f"  not in the lock: {name}")
        elif found[name] != lock.sha256[name]:
            problems.append(
                f"  sha256 differs: {name} ({found[name][:12]} != {lock.sha256[name][:12]})"
            )
    if lock.errors_sha256 and errors_sha != lock.errors_sha256:
        problems.append(
            f"  sha256 differs: {ERRORS_FILE} ({errors_sha[:12]} != {lock.errors_sha256[:12]})"
        )
    if problems:
        raise SchemaError(
            f"the specs of Kafka {version} do not match {lock_path}:\n" + "\n".join(problems)
        )
    if not lock.errors_sha256:
        # A lock from before the error table was pinned: add its line (the specs matched).
        lock_path.write_text(Lock(version, found, errors_sha).text(), encoding="utf-8")
        log(f"schemas: {ERRORS_FILE} of Kafka {version} added to the lock")
    log(f"schemas: Kafka {version}, {len(found)} specs and the error table match the lock")
    return Pinned(specs, errors)


def specs_of(version: str, env: str, log: Callable[[str], None] = print) -> Pinned:
    """The specs and error table of any version, straight from its jar (named by ``env``; no
    lock involved)."""
    jar = fetch_jar(version, log, env)
    return Pinned(specs_in_jar(jar), extract_errors(jar, log))


def _cached(json_dir: Path, lock: Lock) -> dict[str, bytes] | None:
    """The extracted specs, if they are exactly the locked set (no jar needed)."""
    if not json_dir.is_dir():
        return None
    files = {p.name: p.read_bytes() for p in json_dir.glob("*.json")}
    if set(files) != set(lock.sha256) or digests(files) != lock.sha256:
        return None
    return files
