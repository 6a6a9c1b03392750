"""`make check-dist`: each distribution of dist/ installed in a scratch venv of its own, checked for
what it must be (run by `make test`, so CI builds and checks all three).

- the platform wheel: a ``cp3xx`` tag, and ``kafkaproto version`` says the hot path is compiled;
- the pure wheel: ``py3-none-any``, no extension inside, ``kafkaproto version`` says pure Python;
- the sdist installed with ``CC`` pointing at a compiler that does not exist: the install
  succeeds, pip's log carries the one-line notice, and the result is pure Python.

Each install then builds and parses a record batch through the installed package. This script
must never touch the source tree's venv or in-place build (it works in the folder it is given).

Run: .venv/bin/python tests/dist_check.py DIST_DIR WORK_DIR
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

SMOKE = """
from kafkaproto.records.batch_builder import BatchBuilder
from kafkaproto.records.reader import read_batches
builder = BatchBuilder(batch_size=1 << 20)
for i in range(100):
    builder.append(None, b"value-%d" % i, 1_700_000_000_000 + i)
records = read_batches(builder.build()).batches[0].records
assert [r.value for r in records] == [b"value-%d" % i for i in range(100)], records
print("smoke: 100 records built and parsed")
"""
NOTICE = "kafkaproto: compiled hot path not built"


def fail(text: str) -> None:
    print(f"check-dist: FAILED: {text}", file=sys.stderr)
    sys.exit(1)


def install(work: Path, name: str, target: Path, env: dict[str, str]) -> tuple[Path, str]:
    """A fresh venv under ``work/name`` with ``target`` installed; returns its python and pip's
    verbose log."""
    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    venv.create(home, with_pip=True)
    python = home / "bin" / "python"
    run = subprocess.run(
        [str(python), "-m", "pip", "install", "-v", "--disable-pip-version-check", str(target)],
        env=env,
        capture_output=True,
        text=True,
    )
    (work / f"{name}.log").write_text(run.stdout + run.stderr, "utf-8")
    if run.returncode != 0:
        fail(f"{name}: pip install {target.name} exited {run.returncode}; see {work}/{name}.log")
    return python, run.stdout + run.stderr


def check(python: Path, name: str, expect: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKAPROTO_")}
    out = subprocess.run(
        [str(python), "-m", "kafkaproto", "--version"],
        env=env,
        capture_output=True,
        text=True,
        cwd="/",
    )
    line = out.stdout.strip()
    if out.returncode != 0 or expect not in line:
        fail(f"{name}: `kafkaproto --version` said {line!r} {out.stderr!r}, expected {expect!r}")
    smoke = subprocess.run([str(python), "-c", SMOKE], env=env, capture_output=True, text=True)
    if smoke.returncode != 0:
        fail(f"{name}: smoke test failed: {smoke.stderr}")
    print(f"check-dist: {name}: {line}; {smoke.stdout.strip()}")
    return line


def main(dist: Path, work: Path) -> int:
    work.mkdir(parents=True, exist_ok=True)
    wheels = sorted(dist.glob("kafkaproto-*.whl"))
    pure = [w for w in wheels if w.name.endswith("-py3-none-any.whl")]
    platform = [w for w in wheels if w not in pure]
    sdists = sorted(dist.glob("kafkaproto-*.tar.gz"))
    if len(pure) != 1 or len(platform) != 1 or len(sdists) != 1:
        fail(f"expected one pure wheel, a platform wheel and an sdist in {dist}: {wheels + sdists}")
    tag = f"-cp{sys.version_info.major}{sys.version_info.minor}-"
    if tag not in platform[0].name:
        fail(f"{platform[0].name}: not tagged for this CPython ({tag})")
    with zipfile.ZipFile(pure[0]) as archive:
        extensions = [n for n in archive.namelist() if n.endswith((".so", ".pyd"))]
    if extensions:
        fail(f"{pure[0].name} holds extension modules: {extensions}")
    with zipfile.ZipFile(platform[0]) as archive:
        names = archive.namelist()
    if (
        not any(n.endswith((".so", ".pyd")) for n in names)
        or "kafkaproto/compiled.json" not in names
    ):
        fail(f"{platform[0].name} holds no compiled modules or no compiled.json")
    for wheel in (platform[0], pure[0], sdists[0]):
        print(f"check-dist: {wheel.name}: {wheel.stat().st_size / 1024:.0f} KiB")

    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKAPROTO_")}
    python, _ = install(work, "platform-wheel", platform[0], env)
    check(python, "platform wheel", "compiled with mypyc")
    python, _ = install(work, "pure-wheel", pure[0], env)
    check(python, "pure wheel", "pure Python (no compiled modules installed)")
    # No C compiler: CC names a program that does not exist (setuptools calls it for every
    # object file), so the hook's compile fails after mypyc has run.
    no_cc = {**env, "CC": "/nonexistent/kafkaproto-no-cc"}
    python, log = install(work, "sdist-no-compiler", sdists[0], no_cc)
    notices = [line.strip() for line in log.splitlines() if NOTICE in line]
    if len(notices) != 1:
        fail(f"sdist without a compiler: expected one notice line in pip's log, got {notices}")
    print(f"check-dist: sdist without a compiler: {notices[0]}")
    check(python, "sdist without a compiler", "pure Python (no compiled modules installed)")
    print("check-dist: 3 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
