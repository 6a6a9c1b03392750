"""The schema pin: read Kafka's JSON message specs from the official kafka-clients jar (fetched by
`make kafka-jars`) and check them against the committed lock (``schemas/kafka.lock``).

The JSON itself is never committed: it is extracted into the git-ignored ``schemas/json/``. The
lock holds the Kafka version and one sha256 per spec file; asking for another version rewrites
it (that is how the pin moves), while a mismatch at the pinned version is an error.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SPEC_PREFIX = "common/message/"
LOCK_HEADER = """\
# The Kafka version kafkaproto's messages are generated from, and the sha256 of every JSON message
# spec in that version's org.apache.kafka:kafka-clients jar. Written by `make codegen
# KAFKA_VERSION=x.y.z` (which moves the pin); `make schemas` checks the fetched files against it.
"""


class SchemaError(RuntimeError):
    """The specs could not be fetched, or do not match the pin."""


@dataclass(frozen=True)
class Lock:
    kafka_version: str
    sha256: dict[str, str]  # file name -> hex digest

    def text(self) -> str:
        lines = [LOCK_HEADER, f"kafka_version = {self.kafka_version}\n"]
        lines += [f"{digest}  {name}\n" for name, digest in sorted(self.sha256.items())]
        return "".join(lines)

    @classmethod
    def read(cls, path: Path) -> Lock | None:
        if not path.exists():
            return None
        version = ""
        digests: dict[str, str] = {}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("kafka_version"):
                version = line.split("=", 1)[1].strip()
                continue
            parts = line.split()
            if len(parts) != 2 or len(parts[0]) != 64:
                raise SchemaError(f"{path}:{n}: expected '<sha256>  <file>', got {line!r}")
            digests[parts[1]] = parts[0]
        if not version:
            raise SchemaError(f"{path}: no kafka_version line")
        return cls(version, digests)


def fetch_jar(version: str, log: Callable[[str], None] = print) -> Path:
    """The kafka-clients jar of ``version``: the one ``make kafka-jars`` fetched with Maven (the
    project's one way to fetch Kafka's jars), named by ``$KAFKA_CLIENTS_JAR``."""
    named = os.environ.get("KAFKA_CLIENTS_JAR")
    if not named:
        raise SchemaError(
            "KAFKA_CLIENTS_JAR is not set: run the compiler through `make codegen` (or `make "
            "kafka-jars` and set it to build/kafka-<version>/libs/kafka-clients-<version>.jar)"
        )
    jar = Path(named)
    if jar.name != f"kafka-clients-{version}.jar":
        raise SchemaError(f"KAFKA_CLIENTS_JAR={jar} is not kafka-clients {version}")
    if not jar.is_file():
        raise SchemaError(f"{jar} does not exist: run `make kafka-jars KAFKA_VERSION={version}`")
    log(f"schemas: reading {jar}")
    return jar


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


def sync(schemas_dir: Path, version: str, log: Callable[[str], None] = print) -> dict[str, bytes]:
    """Make ``schemas_dir/json`` hold the specs of ``version`` and check them against the lock.

    At the pinned version a mismatch is an error; at another version the lock is rewritten.
    Returns the specs by file name."""
    lock_path = schemas_dir / "kafka.lock"
    json_dir = schemas_dir / "json"
    lock = Lock.read(lock_path)
    specs = _cached(json_dir, lock) if lock is not None and lock.kafka_version == version else None
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
    found = digests(specs)
    if lock is None or lock.kafka_version != version:
        before = f" (was {lock.kafka_version})" if lock is not None else ""
        lock_path.write_text(Lock(version, found).text(), encoding="utf-8")
        log(f"schemas: pinned Kafka {version}{before}: {len(found)} specs, lock rewritten")
        return specs
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
    if problems:
        raise SchemaError(
            f"the specs of Kafka {version} do not match {lock_path}:\n" + "\n".join(problems)
        )
    log(f"schemas: Kafka {version}, {len(found)} specs match the lock")
    return specs


def _cached(json_dir: Path, lock: Lock) -> dict[str, bytes] | None:
    """The extracted specs, if they are exactly the locked set (no jar needed)."""
    if not json_dir.is_dir():
        return None
    files = {p.name: p.read_bytes() for p in json_dir.glob("*.json")}
    if set(files) != set(lock.sha256) or digests(files) != lock.sha256:
        return None
    return files
