"""An instance of a class with nothing set and none of its ``__init__`` run: ``make(cls)``, as
``object.__new__(cls)`` makes it. The thread-safe producer makes one future per record so
(``kafkaproto.producer.sync_send``).

This file is the reference and what runs interpreted, where ``make`` is ``object.__new__``
itself. The compiled build has ``object_new.c`` beside it (:data:`kafkaproto.compiled.C_MODULES`)
with the same ``make``: for a class that leaves ``__new__`` to ``object`` it calls the type's
allocator at once, where calling the class from compiled code runs the type's generic call and
its ``__init__`` slot (BENCHMARKS.md, "Compiled hot path"). Any other class goes to
``object.__new__`` itself, so both accept and refuse the same classes.
"""

from __future__ import annotations

from typing import Final

__all__ = ["make"]

#: ``make(cls)``: an instance of ``cls`` with nothing set; a ``TypeError`` where
#: ``object.__new__(cls)`` raises one (not a class, an abstract class, a class whose instances
#: ``object.__new__`` cannot make).
make: Final = object.__new__
