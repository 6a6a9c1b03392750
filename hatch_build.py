"""The compiled hot path: hatchling's build hook that compiles kafkaproto's hot modules with mypyc
(the compiler black ships with), and the same step for a source checkout (``make compile``).

The modules are the ones :data:`kafkaproto.compiled.MODULES` lists (read here from the source, not
imported). mypyc turns them into C, setuptools' compiler makes one shared library plus one small
extension per module, and one extension of each module written in C
(:data:`kafkaproto.compiled.C_MODULES`, a ``.c`` beside its pure ``.py``), and:

- a wheel gets the extensions beside the ``.py`` sources (which stay: the pure-Python reference)
  and a platform tag;
- an editable install (``make setup``) gets them in place, beside each source in ``runtime/``,
  ``generated/`` (git ignores them), with ``compiled.json`` recording the sources compiled;
- ``KAFKAPROTO_COMPILE=0`` builds pure Python (a ``py3-none-any`` wheel) and removes in-place
  extensions;
- a failed compile (no C compiler, no Python headers) is never a failed install: one line on
  stderr says so and the build goes on as pure Python.

Why a hook of our own rather than the ``hatch-mypyc`` plugin: that plugin fails the build when the
compiler is missing, knows nothing of the three source folders of one package, and puts nothing in
place for editable installs. This file must never change what the pure-Python build contains.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface

    HookBase = BuildHookInterface[Any]
else:
    try:
        from hatchling.builders.hooks.plugin.interface import BuildHookInterface as HookBase
    except ImportError:  # run as a script (make compile) where hatchling is not installed
        HookBase = object

ROOT = Path(__file__).resolve().parent
SOURCE_FOLDERS = ("runtime", "generated", "codegen")
SWITCH = "KAFKAPROTO_COMPILE"
#: mypyc's build requirements, pinned to the mypy the project type-checks with.
COMPILER_REQUIRES = ["mypy==2.4.1", "setuptools>=70"]
#: The shared library's name: mypyc names it <group>__mypyc, a top-level extension module.
GROUP = "kafkaproto"
STAMP = "compiled.json"


def wanted() -> bool:
    """``KAFKAPROTO_COMPILE=0`` (or ``false``/``no``/``off``) turns compiling off."""
    return os.environ.get(SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def notice(text: str) -> None:
    print(f"kafkaproto: {text}", file=sys.stderr, flush=True)


def listed(name: str) -> list[str]:
    """A module list of runtime/kafkaproto/compiled.py (``MODULES``, ``C_MODULES``), read as a
    literal."""
    tree = ast.parse((ROOT / "runtime" / "kafkaproto" / "compiled.py").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == name:
            assert node.value is not None
            return [str(module) for module in ast.literal_eval(node.value)]
    raise RuntimeError(f"runtime/kafkaproto/compiled.py has no {name}")


def hot_modules() -> list[str]:
    """The modules mypyc compiles (``MODULES``)."""
    return listed("MODULES")


def c_modules() -> list[str]:
    """The modules written in C (``C_MODULES``), each a ``.c`` beside its pure ``.py``."""
    return listed("C_MODULES")


def summary() -> str:
    """What a build compiled, for its notice."""
    return f"compiled {len(hot_modules())} hot modules with mypyc and {len(c_modules())} in C"


def source_of(module: str, suffix: str = ".py") -> Path:
    """The one source folder holding ``module`` (kafkaproto.x.y -> <folder>/kafkaproto/x/y.py,
    or ``y.c`` with ``suffix=".c"``)."""
    relative = Path(*module.split(".")).with_suffix(suffix)
    found = [ROOT / folder / relative for folder in SOURCE_FOLDERS]
    found = [path for path in found if path.is_file()]
    if len(found) != 1:
        raise RuntimeError(f"{module}: expected one source file, found {found}")
    return found[0]


def in_place_files() -> list[Path]:
    """The compiled artifacts of this Python (its extension suffix) that in-place builds left in
    the source folders, also of modules no longer listed or moved since (the sources hold no
    extension of their own); other Pythons' builds (make test-pythons) stay."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    found: list[Path] = [ROOT / "runtime" / f"{GROUP}__mypyc{suffix}"]
    for folder in SOURCE_FOLDERS:
        found += (ROOT / folder / "kafkaproto").rglob(f"*{suffix}")
    return [path for path in found if path.exists()]


def remove_in_place() -> None:
    for path in in_place_files():
        path.unlink()


def compile_modules(work: Path) -> dict[str, Path]:
    """Compiles the hot modules under ``work``; returns wheel path -> built file.

    Raises whatever mypyc or the C compiler raise; the callers turn that into the fallback."""
    from mypyc.build import mypycify  # the build requirement, imported only when compiling
    from setuptools import Distribution, Extension  # type: ignore[import-untyped]

    modules = hot_modules()
    sources = [str(source_of(module).relative_to(ROOT)) for module in modules]
    lib, temp = work / "lib", work / "temp"
    shutil.rmtree(lib, ignore_errors=True)
    old_cwd = os.getcwd()
    os.chdir(ROOT)  # mypy reads [tool.mypy] (mypy_path over the three folders) from here
    try:
        extensions = mypycify(
            [
                # The runtime's own dependencies need not be installed in an isolated build
                # environment: their calls compile as calls on Any, as they run anyway.
                "--ignore-missing-imports",
                "--no-warn-unused-ignores",
                "--no-warn-return-any",
                "--cache-dir",
                str(work / "mypy_cache"),
                *sources,
            ],
            opt_level="3",
            group_name=GROUP,
            target_dir=str(work / "c"),
        )
        extensions += [
            Extension(module, [str(source_of(module, ".c").relative_to(ROOT))])
            for module in c_modules()
        ]
        distribution = Distribution({"name": "kafkaproto", "ext_modules": extensions})
        build_ext: Any = distribution.get_command_obj("build_ext")
        build_ext.build_lib = str(lib)
        build_ext.build_temp = str(temp)
        build_ext.inplace = False
        build_ext.parallel = os.cpu_count() or 1
        build_ext.ensure_finalized()
        build_ext.run()
    finally:
        os.chdir(old_cwd)
    built = {path.relative_to(lib).as_posix(): path for path in lib.rglob("*") if path.is_file()}
    stamp = {m: hashlib.sha256(source_of(m).read_bytes()).hexdigest() for m in modules}
    stamp |= {m: hashlib.sha256(source_of(m, ".c").read_bytes()).hexdigest() for m in c_modules()}
    (work / STAMP).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n", "utf-8")
    built[f"kafkaproto/{STAMP}"] = work / STAMP
    return built


def place_in_source(built: dict[str, Path]) -> None:
    """Copies the built files beside their sources (the editable install and ``make compile``):
    a module's extension into the folder holding its ``.py``, the shared library and the stamp
    into runtime/ (on sys.path through the editable install's .pth)."""
    remove_in_place()
    for wheel_path, path in built.items():
        parts = wheel_path.split("/")
        if len(parts) == 1 or wheel_path == f"kafkaproto/{STAMP}":
            target = ROOT / "runtime" / wheel_path
        else:
            module = ".".join([*parts[:-1], parts[-1].split(".")[0]])
            target = source_of(module).with_name(parts[-1])
        shutil.copy2(path, target)


def work_dir() -> Path:
    tag = sysconfig.get_config_var("EXT_SUFFIX") or "ext"
    return ROOT / "build" / "mypyc" / tag.strip(".").replace(".", "-")


def try_compile(work: Path) -> dict[str, Path] | None:
    """``compile_modules``, or ``None`` after one line saying why the build stays pure Python."""
    try:
        return compile_modules(work)
    except (Exception, SystemExit) as exc:  # mypyc exits on errors; setuptools raises its own
        if isinstance(exc, SystemExit):  # mypyc printed its errors above
            reason = "mypyc failed, see above"
        else:
            reason = " ".join(str(exc).split()) or type(exc).__name__
        notice(
            f"compiled hot path not built ({reason[:200]}); "
            "installing pure Python (same behaviour, slower)"
        )
        return None


class CompiledBuildHook(HookBase):
    """hatchling's custom build hook (``[tool.hatch.build.targets.wheel.hooks.custom]``)."""

    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        return list(COMPILER_REQUIRES) if wanted() else []

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        if not wanted():
            notice(f"{SWITCH}=0: building pure Python")
            if version == "editable":
                remove_in_place()
            return
        built = try_compile(work_dir())
        if version == "editable":
            if built is None:
                remove_in_place()
            else:
                place_in_source(built)
                notice(f"{summary()}, in place")
            return
        if built is None:
            return
        for wheel_path, path in built.items():
            build_data["force_include"][str(path)] = wheel_path
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        notice(f"{summary()} into the wheel")


def main(argv: list[str]) -> int:
    """``python hatch_build.py [--remove | --sources]``: compile in place (or remove the in-place
    build, or list the hot modules' source files for the Makefile)."""
    if argv[1:] == ["--sources"]:
        sources = [source_of(m) for m in hot_modules()]
        sources += [source_of(m, suffix) for m in c_modules() for suffix in (".c", ".py")]
        print(" ".join(str(path.relative_to(ROOT)) for path in sources))
        return 0
    if argv[1:] == ["--remove"] or not wanted():
        remove_in_place()
        print(f"kafkaproto: in-place compiled modules removed ({SWITCH}={os.environ.get(SWITCH)})")
        return 0
    built = try_compile(work_dir())
    if built is None:
        remove_in_place()
        return 0
    place_in_source(built)
    notice(f"{summary()}, in place")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
