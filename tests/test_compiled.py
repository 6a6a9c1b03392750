"""The compiled hot path (hatch_build.py, kafkaproto.compiled): the build hook and the runtime
agree on the module list, ``KAFKAPROTO_PURE_PYTHON=1`` really runs the sources, a failed compile
becomes pure Python with a notice, and each ``make unit`` run is what it claims to be
(``KAFKAPROTO_EXPECT=compiled|pure``, set by the Makefile)."""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kafkaproto import compiled, object_new, tuple_new
from kafkaproto.cli.version import describe

ROOT = Path(__file__).resolve().parents[1]
HOOK: dict[str, Any] = runpy.run_path(str(ROOT / "hatch_build.py"))
EXTENSION = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def test_the_build_compiles_what_the_runtime_lists() -> None:
    assert HOOK["hot_modules"]() == list(compiled.MODULES)
    assert HOOK["c_modules"]() == list(compiled.C_MODULES)
    for module in compiled.MODULES + compiled.C_MODULES:
        source = HOOK["source_of"](module)
        assert source.is_file() and source.relative_to(ROOT).parts[1:] == (
            *module.split(".")[:-1],
            module.rpartition(".")[2] + ".py",
        )
    for module in compiled.C_MODULES:  # and its C source beside the pure one
        assert HOOK["source_of"](module, ".c") == HOOK["source_of"](module).with_suffix(".c")


def test_no_compiled_module_defines_a_coroutine() -> None:
    # mypyc delegates an exception thrown into a compiled coroutine (a cancellation, a timeout)
    # to the awaitable it waits on through the three-argument throw(), which Python 3.12+ warns
    # about on every such exception (and raises under -W error). With the producer's sender,
    # engine, cluster transport and connection compiled, a 3.12 unit run gave 443 of these.
    coroutine_parts = (ast.AsyncFunctionDef, ast.Await, ast.AsyncWith, ast.AsyncFor)
    found = {
        module: sorted(
            node.lineno
            for node in ast.walk(ast.parse(HOOK["source_of"](module).read_text()))
            if isinstance(node, coroutine_parts)
        )[:3]
        for module in compiled.MODULES
    }
    assert not {m: lines for m, lines in found.items() if lines}


def test_each_run_is_what_the_makefile_says() -> None:
    expect = os.environ.get("KAFKAPROTO_EXPECT", "")
    state = compiled.status()
    hot = compiled.MODULES + compiled.C_MODULES
    loaded = {m: importlib.import_module(m).__file__ or "" for m in hot}
    assert state.compiled == tuple(m for m, f in loaded.items() if f.endswith(EXTENSION))
    if expect == "compiled":
        assert state.active, state.describe()
        assert not state.stale, f"{state.describe()}: run `make compile`"
        assert "compiled with mypyc" in describe()
        assert tuple_new.make is not tuple.__new__  # the C extension's
        assert object_new.make is not object.__new__
    elif expect == "pure":
        assert all(f.endswith(".py") for f in loaded.values()), loaded
        assert "pure Python" in describe()
        assert tuple_new.make is tuple.__new__
        assert object_new.make is object.__new__
    else:
        assert expect == "", f"KAFKAPROTO_EXPECT={expect!r}: compiled or pure"


def test_pure_python_switch_loads_the_sources() -> None:
    code = (
        "import kafkaproto.compiled as c, importlib, json; "
        "print(json.dumps([importlib.import_module(m).__file__ for m in c.MODULES + c.C_MODULES]))"
    )
    env = {**os.environ, "KAFKAPROTO_PURE_PYTHON": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.count('.py"') == len(compiled.MODULES) + len(compiled.C_MODULES), out
    version = subprocess.run(
        [sys.executable, "-m", "kafkaproto", "--version"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert version.startswith("kafkaproto ") and "pure Python (KAFKAPROTO_PURE_PYTHON" in version


def test_a_failed_compile_is_pure_python_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def no_compiler(work: Path) -> dict[str, Path]:
        raise OSError("command '/nonexistent/cc' failed: No such file or directory")

    monkeypatch.setitem(HOOK["try_compile"].__globals__, "compile_modules", no_compiler)
    assert HOOK["try_compile"](tmp_path) is None
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kafkaproto: compiled hot path not built")
    assert "/nonexistent/cc" in lines[0] and "pure Python" in lines[0]


@pytest.mark.parametrize("value", ["0", "false", "off", "No"])
def test_the_switch_turns_compiling_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("KAFKAPROTO_COMPILE", value)
    assert not HOOK["wanted"]()
    monkeypatch.setenv("KAFKAPROTO_COMPILE", "1")
    assert HOOK["wanted"]()
