"""The public surface: ``from kafkaproto import AsyncProducer, ...`` works, each name is the
defining module's object, and ``import kafkaproto`` imports nothing else."""

from __future__ import annotations

import importlib
import subprocess
import sys

import kafkaproto
import pytest


def test_import_kafkaproto_loads_no_submodule() -> None:
    code = (
        "import sys\nbefore = set(sys.modules)\nimport kafkaproto\n"
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["kafkaproto"]


@pytest.mark.parametrize("name", kafkaproto.__all__)
def test_every_public_name_is_its_modules_object(name: str) -> None:
    module = importlib.import_module(kafkaproto._EXPORTS[name])
    assert getattr(kafkaproto, name) is getattr(module, name)
    assert name in dir(kafkaproto)


def test_the_readme_names_and_all_three_source_folders() -> None:
    from kafkaproto import AsyncProducer, Producer, ProducerRecord, RecordMetadata

    assert (AsyncProducer.__name__, Producer.__name__) == ("AsyncProducer", "Producer")
    assert ProducerRecord("t", b"v").topic == "t" and RecordMetadata.__name__ == "RecordMetadata"
    # The compiler and the generated messages live in other folders of the same package.
    assert (
        importlib.import_module("kafkaproto.codegen.model").__name__ == "kafkaproto.codegen.model"
    )
    assert importlib.import_module("kafkaproto.messages").request_class(18).__name__ == (
        "ApiVersionsRequest"
    )
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        kafkaproto.Nope  # noqa: B018
