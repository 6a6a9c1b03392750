"""Python side of the Java oracle: one long-lived `java Harness` process answering JSON-lines cases.

The case format is documented at the top of Harness.java. This client starts the JVM once, sends
cases pipelined (many lines written while answers are read, in one non-blocking select loop, so
neither pipe can fill up and deadlock), checks that every answer comes back in order, and shuts
the JVM down by closing its stdin. Every wait has a deadline. Standard library only; it must never
import kafkaproto, because it is the independent judge of kafkaproto's output.

    with OracleHarness.start() as oracle:
        oracle.json_to_bytes("ApiVersionsRequest", 3, {...})   # -> bytes
        oracle.call_many([{"op": "partition", ...}, ...])       # -> list of answer dicts
        oracle.run("ErrorsOracle")                              # -> a program's stdout
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

REPO = Path(__file__).resolve().parents[2]
ORACLE_DIR = REPO / "build" / "oracle"
# Kafka's classes log through log4j2 (on the class path of `make kafka-jars`): warnings only, to
# stderr, so stdout carries nothing but answers.
LOG_CONFIG = REPO / "tests" / "integration" / "log4j2-tools.properties"
JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx1g",
    "-XX:+UseSerialGC",
    "-Djava.awt.headless=true",
    f"-Dlog4j2.configurationFile={LOG_CONFIG}",
)

Answer = dict[str, Any]


class OracleError(Exception):
    """The harness could not be started, died, timed out, or answered a case with ok=false."""


def default_classpath() -> str:
    """The class path `make oracle` recorded when it compiled tests/oracle/java."""
    recorded = ORACLE_DIR / "classpath"
    if not recorded.is_file() or not (ORACLE_DIR / "Harness.class").is_file():
        raise OracleError(f"the Java oracle is not built ({recorded} missing): run `make oracle`")
    return recorded.read_text().strip()


class OracleHarness:
    """A running Harness JVM. Not thread-safe: one caller at a time."""

    def __init__(self, proc: subprocess.Popen[bytes], stderr: IO[bytes], timeout: float) -> None:
        self._proc = proc
        self._stderr = stderr
        self._timeout = timeout
        self._next_id = 0
        self._closed = False
        self._pending = bytearray()  # answer bytes read but not yet split into lines
        assert proc.stdin is not None and proc.stdout is not None
        self._stdin = proc.stdin
        self._stdout = proc.stdout
        os.set_blocking(self._stdin.fileno(), False)
        os.set_blocking(self._stdout.fileno(), False)

    @classmethod
    def start(
        cls, classpath: str | None = None, java: str = "java", timeout: float = 60.0
    ) -> OracleHarness:
        """Start the JVM and wait for it to answer a ping (bounded by timeout seconds)."""
        cp = classpath or default_classpath()
        stderr = tempfile.TemporaryFile(prefix="oracle-stderr-")
        proc = subprocess.Popen(
            [java, *JVM_OPTIONS, "-cp", cp, "Harness"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            bufsize=0,
        )
        harness = cls(proc, stderr, timeout)
        try:
            harness.ping()
        except BaseException:
            harness.close()
            raise
        return harness

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self, timeout: float = 10.0) -> None:
        """Close stdin (the harness exits at end of input); kill it if it does not."""
        if self._closed:
            return
        self._closed = True
        try:
            self._stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=timeout)
        self._stdout.close()
        self._stderr.close()

    def stderr_tail(self, limit: int = 4000) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-limit:]

    # -- raw cases ------------------------------------------------------------------------------

    def run(self, program: str, *args: str, input: str = "") -> str:
        """The stdout of one of the small oracle programs of tests/oracle/java, run in this JVM
        with ``input`` on its stdin. Raises OracleError if it failed."""
        answer = self.call({"op": "run", "program": program, "args": list(args), "input": input})
        if not answer.get("ok"):
            raise OracleError(f"{program} failed: {answer.get('error')}")
        return str(answer["stdout"])

    def call(self, case: Mapping[str, Any]) -> Answer:
        """Send one case and return its answer dict (ok may be false)."""
        return self.call_many([case])[0]

    def call_many(self, cases: Iterable[Mapping[str, Any]]) -> list[Answer]:
        """Send many cases pipelined; answers come back in the same order.

        Cases without an "id" get a fresh integer one. Raises OracleError if the JVM dies, an
        answer's id does not match, or the batch takes longer than the timeout (+2 ms per case)."""
        if self._closed:
            raise OracleError("the oracle harness is closed")
        ids: list[Any] = []
        out = bytearray()
        for case in cases:
            if "id" not in case:
                case = {**case, "id": self._next_id}
                self._next_id += 1
            ids.append(case["id"])
            out += json.dumps(case, separators=(",", ":")).encode() + b"\n"
        deadline = time.monotonic() + self._timeout + 0.002 * len(ids)
        lines = self._exchange(bytes(out), len(ids), deadline)
        answers = []
        for expected, line in zip(ids, lines, strict=True):
            answer = json.loads(line)
            if not isinstance(answer, dict) or answer.get("id") != expected:
                raise OracleError(
                    f"answer out of order: wanted id {expected!r}, got {line[:200]!r}"
                )
            answers.append(answer)
        return answers

    def _exchange(self, data: bytes, count: int, deadline: float) -> list[bytes]:
        lines: list[bytes] = []
        view = memoryview(data)
        with selectors.DefaultSelector() as sel:
            sel.register(self._stdout, selectors.EVENT_READ)
            if view:
                sel.register(self._stdin, selectors.EVENT_WRITE)
            while len(lines) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise OracleError(
                        f"timed out with {count - len(lines)} of {count} answers missing"
                        f"\n{self.stderr_tail()}"
                    )
                for key, _ in sel.select(timeout=min(remaining, 1.0)):
                    if key.fileobj is self._stdin:
                        try:
                            written = os.write(self._stdin.fileno(), view[:65536])
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            raise OracleError(self._death_message()) from None
                        view = view[written:]
                        if not view:
                            sel.unregister(self._stdin)
                    else:
                        chunk = os.read(self._stdout.fileno(), 1 << 20)
                        if not chunk:
                            raise OracleError(self._death_message())
                        self._pending += chunk
                        *complete, rest = self._pending.split(b"\n")
                        lines.extend(bytes(line) for line in complete)
                        self._pending = bytearray(rest)
        if len(lines) > count:
            raise OracleError(f"{len(lines) - count} unexpected extra answer lines")
        return lines

    def _death_message(self) -> str:
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        return f"the oracle JVM exited (code {code})\n{self.stderr_tail()}"

    # -- typed helpers: raise OracleError when Kafka rejects the case ---------------------------

    def checked(self, case: Mapping[str, Any]) -> Answer:
        answer = self.call(case)
        if not answer.get("ok"):
            raise OracleError(f"{case.get('op')} {case.get('spec', '')}: {answer.get('error')}")
        return answer

    def ping(self) -> str:
        return str(self.checked({"op": "ping"})["kafka_version"])

    def json_to_bytes(self, spec: str, version: int, document: Any) -> bytes:
        case = {"op": "json_to_bytes", "spec": spec, "version": version, "json": document}
        return bytes.fromhex(self.checked(case)["hex"])

    def bytes_roundtrip(self, spec: str, version: int, data: bytes) -> bytes:
        case = {"op": "bytes_roundtrip", "spec": spec, "version": version, "hex": data.hex()}
        return bytes.fromhex(self.checked(case)["hex"])

    def bytes_to_json(
        self, spec: str, version: int, data: bytes, serialize_records: bool = True
    ) -> Any:
        case = {
            "op": "bytes_to_json",
            "spec": spec,
            "version": version,
            "hex": data.hex(),
            "serialize_records": serialize_records,
        }
        return self.checked(case)["json"]

    def json_to_json(self, spec: str, version: int, document: Any) -> Any:
        case = {"op": "json_to_json", "spec": spec, "version": version, "json": document}
        return self.checked(case)["json"]

    def partition(self, keys: Sequence[bytes], partitions: int) -> list[int]:
        case = {"op": "partition", "keys_hex": [k.hex() for k in keys], "partitions": partitions}
        return [int(p) for p in self.checked(case)["partitions"]]

    def header_versions(self) -> list[Answer]:
        apis: list[Answer] = self.checked({"op": "header_versions"})["apis"]
        return apis
