"""Group members as processes for the group tests: kafkaproto's (tests/integration/group_member.py,
either face) and Java's (GroupMember.java, built by `make oracle`), each printing JSON lines for
its rebalance listener calls. :class:`Member` follows one process's latest assignment;
:func:`wait_for_split` waits until the live members own disjoint partitions that together cover
the topic.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LOG4J = HERE / "log4j2-tools.properties"


def oracle_classpath() -> str:
    build = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "oracle"], capture_output=True, text=True
    )
    if build.returncode != 0:
        raise RuntimeError(f"`make oracle` failed:\n{build.stdout}\n{build.stderr}")
    return (ROOT / "build" / "oracle" / "classpath").read_text().strip()


class Member:
    """One member process; ``events`` holds every JSON line it printed so far."""

    def __init__(self, name: str, argv: Sequence[str]) -> None:
        self.name = name
        self.argv = list(argv)
        self.events: list[dict[str, Any]] = []
        self.assignment: frozenset[str] = frozenset()
        self.records = 0
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            doc = json.loads(line)
            doc.setdefault("t", time.time())
            with self._lock:
                self.events.append(doc)
                if "assignment" in doc:
                    self.assignment = frozenset(doc["assignment"])
                if doc["event"] == "records":
                    self.records += doc["count"]

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            del self.stderr[:-200]

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def saw(self, event: str) -> bool:
        with self._lock:
            return any(e["event"] == event for e in self.events)

    def quit(self, timeout: float = 60) -> None:
        """Ask it to close (leaving the group) and wait for it to exit."""
        if self.alive:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(
                f"member {self.name} did not close in {timeout} s: {self.tail()}"
            ) from None

    def kill(self) -> None:
        """SIGKILL: no LeaveGroup, no commit, nothing."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def tail(self) -> str:
        return "".join(self.stderr[-40:])

    def __repr__(self) -> str:
        return f"{self.name}({sorted(self.assignment)})"


def python_member(
    name: str,
    bootstrap: str,
    topic: str,
    group: str,
    protocol: str,
    *,
    face: str = "sync",
    out: Path | None = None,
    pause_ms: int = 0,
    settings: Iterable[str] = (),
) -> Member:
    argv = [
        sys.executable,
        str(HERE / "group_member.py"),
        "--bootstrap",
        bootstrap,
        "--topic",
        topic,
        "--group",
        group,
        "--protocol",
        protocol,
        "--face",
        face,
        "--pause-ms",
        str(pause_ms),
    ]
    if out is not None:
        argv += ["--out", str(out)]
    for item in settings:
        argv += ["-X", item]
    return Member(name, argv)


def java_member(
    name: str,
    classpath: str,
    bootstrap: str,
    topic: str,
    group: str,
    protocol: str,
    settings: Iterable[str] = (),
) -> Member:
    argv = [
        "java",
        "-Xmx128m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        f"-Dlog4j2.configurationFile={LOG4J}",
        "-cp",
        classpath,
        "GroupMember",
        bootstrap,
        topic,
        group,
        protocol,
        *settings,
    ]
    return Member(name, argv)


def split_ok(members: Sequence[Member], partitions: set[str]) -> bool:
    """Disjoint partitions that together cover the topic, every member owning some."""
    seen: list[str] = []
    for m in members:
        seen.extend(m.assignment)
    return (
        len(seen) == len(set(seen))
        and set(seen) == partitions
        and all(m.assignment for m in members)
    )


def wait_for_split(
    members: Sequence[Member], partitions: set[str], timeout: float, *, settle: float = 1.0
) -> float:
    """Wait until ``split_ok`` holds (and still holds ``settle`` seconds later); returns when it
    first held (time.monotonic())."""
    deadline = time.monotonic() + timeout
    since: float | None = None
    while time.monotonic() < deadline:
        for m in members:
            if not m.alive:
                raise AssertionError(f"member {m.name} exited: {m.tail()}")
        if split_ok(members, partitions):
            if since is None:
                since = time.monotonic()
            elif time.monotonic() - since >= settle:
                return since
        else:
            since = None
        time.sleep(0.1)
    raise AssertionError(
        f"no disjoint, covering assignment within {timeout} s: {members} "
        f"(partitions {sorted(partitions)}); last stderr:\n"
        + "\n".join(f"--- {m.name}\n{m.tail()}" for m in members)
    )
