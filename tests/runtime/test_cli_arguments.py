"""The CLI's shape and shared options: lazy subcommands, Java properties files, ``-X`` validated
by the config machinery before anything connects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kafkaproto.cli import COMMANDS, main
from kafkaproto.config.properties import PropertiesError, parse_properties


def test_help_imports_no_subcommand_and_no_client() -> None:
    code = (
        "import sys\n"
        "from kafkaproto.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('kafkaproto'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = out.splitlines()[-1].split()
    assert loaded == ["kafkaproto", "kafkaproto.cli"], loaded
    for name in COMMANDS:
        assert name in out


def test_properties_files_as_java_reads_them() -> None:
    text = (
        "# comment\n! also a comment\n\n"
        "bootstrap.servers = a:1,\\\n    b:2\n"
        'sasl.jaas.config: x y="z";\n'
        "key\\ with\\ spaces value\n"
        "tab\\tescape=\\u0041\\n\n"
        "empty=\n"
        "  linger.ms=1\nlinger.ms=2\n"
    )
    assert parse_properties(text) == {
        "bootstrap.servers": "a:1,b:2",
        "sasl.jaas.config": 'x y="z";',
        "key with spaces": "value",
        "tab\tescape": "A\n",
        "empty": "",
        "linger.ms": "2",
    }
    with pytest.raises(PropertiesError, match="line 1"):
        parse_properties("k=\\u00zz")


def test_command_config_and_x_are_validated_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    props = tmp_path / "client.properties"
    props.write_text("bootstrap.servers=127.0.0.1:1\nrequest.timeout.ms=0\n")
    # fetch validates as the consumer, api-versions as the cluster client (0 is refused there,
    # unknown keys too).
    args = ["fetch", "--topic", "t", "--command-config", str(props), "-X", "max.poll.records=0"]
    assert main(args) == 2
    assert "max.poll.records" in capsys.readouterr().err
    assert (
        main(
            [
                "api-versions",
                "--command-config",
                str(props),
                "-X",
                "request.timeout.ms=5",
                "-X",
                "linger.ms=5",
            ]
        )
        == 2
    )
    assert "not a known cluster config" in capsys.readouterr().err
    assert main(["api-versions", "-X", "client.id=x"]) == 2
    assert "give --bootstrap" in capsys.readouterr().err
    assert main(["fetch", "--topic", "t", "--command-config", str(tmp_path / "missing")]) == 2
    assert "cannot read it" in capsys.readouterr().err
    # produce validates as the producer; config explains what a file and -X give.
    assert main(["produce", "--topic", "t", "--command-config", str(props), "-X", "acks=2"]) == 2
    assert "acks" in capsys.readouterr().err
    props.write_text("bootstrap.servers=b:1\nlinger.ms=50\n")
    assert (
        main(
            ["config", "producer", "--command-config", str(props), "-X", "acks=1", "batch.size=10"]
        )
        == 0
    )
    rows = {line.split()[0]: line.split()[1:3] for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["linger.ms"] == ["50", "user"] and rows["acks"] == ["1", "user"]
    assert rows["batch.size"] == ["10", "user"] and rows["bootstrap.servers"] == ["b:1", "user"]
