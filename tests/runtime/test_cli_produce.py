"""The produce command's pieces without a broker: line splitting, settings, percentiles and the
summary text."""

from __future__ import annotations

import argparse
import io

import pytest
from kafkaproto.cli.produce import Tally, add_arguments, percentile, settings_from, split_lines
from kafkaproto.cli.produce import summary as render_summary
from kafkaproto.producer.config import ConfigError, ProducerConfig


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(["--bootstrap", "127.0.0.1:9", "--topic", "t", *argv])


def test_split_lines_with_and_without_separator() -> None:
    data = b"k1=v1\r\nnosep\nk2=a=b\n=empty-key\nlast"
    assert list(split_lines(io.BytesIO(data), b"=")) == [
        (b"k1", b"v1"),
        (None, b"nosep"),
        (b"k2", b"a=b"),
        (b"", b"empty-key"),
        (None, b"last"),
    ]
    assert list(split_lines(io.BytesIO(b"a=b\n\n"), None)) == [(None, b"a=b"), (None, b"")]


def test_settings_named_options_then_x_overrides() -> None:
    args = parse("--acks", "1", "--linger-ms", "7", "-X", "linger.ms=9", "-X", "batch.size=100")
    settings = settings_from(args)
    assert settings == {
        "bootstrap.servers": "127.0.0.1:9",
        "acks": "1",
        "linger.ms": "9",
        "batch.size": "100",
    }
    config = ProducerConfig(settings)
    assert (config.acks, config.linger_ms, config.batch_size) == (1, 9, 100)
    with pytest.raises(ConfigError):
        settings_from(parse("-X", "no-equals-sign"))


def test_percentile_nearest_rank() -> None:
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) == 0.0


def test_summary_lists_errors() -> None:
    tally = Tally(sent=3, bytes=30, acked=2, failed=1, latencies=[0.001, 0.003])
    tally.errors["RecordTooLargeError: too big"] = 1
    text = render_summary(tally, 2.0)
    assert "records: 3 sent, 2 acknowledged, 1 failed" in text
    assert "p50 1.0 ms, p99 3.0 ms" in text
    assert "error: 1 x RecordTooLargeError: too big" in text
