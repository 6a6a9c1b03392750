"""`python -m kafkaproto produce` against the real broker: lines of stdin (and --file) come back
through our fetcher as records (keys split at --key-separator), the summary counts them, no
progress line is drawn when stderr is not a terminal, and a failed record gives exit code 1."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from topics import create_topic, read_partitions

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


def produce_cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kafkaproto", "produce", *args],
        input=stdin,
        capture_output=True,
        timeout=90,
        check=False,
    )


def test_lines_from_stdin_become_records_in_order(broker: str) -> None:
    topic = f"cli-produce-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, partitions=2))
    lines = [f"key-{i % 5}\tvalue {i} ü" for i in range(3000)] + ["no separator here", ""]
    result = produce_cli(
        "--bootstrap",
        broker,
        "--topic",
        topic,
        "--partition",
        "1",
        "--key-separator",
        "\t",
        "--linger-ms",
        "5",
        "--compression",
        "lz4",
        "--acks",
        "all",
        "-X",
        "batch.size=4096",
        stdin=("\n".join(lines) + "\n").encode(),
    )
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, err
    assert "records: 3002 sent, 3002 acknowledged, 0 failed" in out
    assert "latency send->ack: p50" in out and "records/s" in out
    assert "\r" not in err  # stderr is a pipe here: no progress bar
    records = asyncio.run(read_partitions(broker, topic, 2))
    assert records[0] == []
    got = [(r.key, r.value) for r in records[1]]
    expected: list[tuple[bytes | None, bytes]] = [
        (f"key-{i % 5}".encode(), f"value {i} ü".encode()) for i in range(3000)
    ]
    assert got == [*expected, (None, b"no separator here"), (None, b"")]
    assert [r.offset for r in records[1]] == list(range(3002))


def test_file_input_and_crlf(broker: str, tmp_path: Path) -> None:
    topic = f"cli-produce-file-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "lines.txt"
    path.write_bytes(b"a\r\nb\nc")  # CRLF, LF, and a last line without an end
    result = produce_cli("--bootstrap", broker, "--topic", topic, "--file", str(path))
    assert result.returncode == 0, result.stderr.decode()
    assert "records: 3 sent, 3 acknowledged, 0 failed" in result.stdout.decode()
    records = asyncio.run(read_partitions(broker, topic, 1))
    assert [r.value for r in records[0]] == [b"a", b"b", b"c"]


def test_a_failed_record_gives_exit_code_1(broker: str) -> None:
    topic = f"cli-produce-big-{uuid.uuid4().hex[:8]}"
    stdin = b"small\n" + b"x" * 5000 + b"\nsmall again\n"
    result = produce_cli(
        "--bootstrap", broker, "--topic", topic, "-X", "max.request.size=1000", stdin=stdin
    )
    out = result.stdout.decode()
    assert result.returncode == 1
    assert "records: 3 sent, 2 acknowledged, 1 failed" in out
    assert "RecordTooLargeError" in out and "max.request.size" in out
    records = asyncio.run(read_partitions(broker, topic, 1))
    assert [r.value for r in records[0]] == [b"small", b"small again"]


def test_bad_setting_gives_exit_code_2() -> None:
    result = produce_cli(
        "--bootstrap", "127.0.0.1:1", "--topic", "t", "-X", "linger.ms=-5", stdin=b"x\n"
    )
    assert result.returncode == 2
    assert "ConfigError" in result.stderr.decode() and "linger.ms" in result.stderr.decode()


def test_progress_line_only_on_a_terminal(broker: str) -> None:
    """stderr on a pseudo-terminal: the progress line (carriage returns, records/s) is drawn;
    stdout still gets the summary."""
    topic = f"cli-produce-tty-{uuid.uuid4().hex[:8]}"
    main_fd, tty_fd = os.openpty()
    drawn = bytearray()

    def drain() -> None:  # read while the command runs: a full terminal buffer would block it
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # EIO: the other side is closed and everything was read
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "kafkaproto",
                "produce",
                "--bootstrap",
                broker,
                "--topic",
                topic,
            ],
            input=b"".join(b"line %d\n" % i for i in range(2000)),
            stdout=subprocess.PIPE,
            stderr=tty_fd,
            timeout=90,
            check=False,
        )
    finally:
        os.close(tty_fd)
        reader.join(timeout=10)
        os.close(main_fd)
    assert result.returncode == 0
    assert "records: 2000 sent, 2000 acknowledged" in result.stdout.decode()
    assert b"\r[" in drawn and b"/s" in drawn and b"2,000/2,000 records" in drawn


def test_transactional_id_commits_in_transactions_and_abort_hides_them(broker: str) -> None:
    from txn_checks import kcat_values

    topic = f"cli-txn-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, partitions=2))
    tid = f"cli-txn-{uuid.uuid4().hex[:8]}"
    committed = produce_cli(
        "--bootstrap",
        broker,
        "--topic",
        topic,
        "--transactional-id",
        tid,
        "--transaction-size",
        "40",
        stdin=b"".join(b"c%d\n" % i for i in range(100)),
    )
    assert committed.returncode == 0, committed.stderr
    out = committed.stdout.decode()
    assert "records: 100 sent, 100 acknowledged, 0 failed" in out
    assert "transactions: 3 committed, 0 aborted, 0 failed to commit (transaction version" in out
    aborted = produce_cli(
        "--bootstrap",
        broker,
        "--topic",
        topic,
        "--transactional-id",
        tid,
        "--abort",
        stdin=b"".join(b"a%d\n" % i for i in range(30)),
    )
    assert aborted.returncode == 0, aborted.stderr
    assert "transactions: 0 committed, 1 aborted" in aborted.stdout.decode()
    assert sorted(kcat_values(broker, topic, "read_committed")) == sorted(
        f"c{i}" for i in range(100)
    )
    assert len(kcat_values(broker, topic, "read_uncommitted")) == 130


def test_transaction_options_need_a_transactional_id(broker: str) -> None:
    result = produce_cli("--bootstrap", broker, "--topic", "t", "--abort", stdin=b"x\n")
    assert result.returncode == 2
    assert b"--abort needs --transactional-id" in result.stderr
