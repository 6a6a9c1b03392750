"""An instance of a tuple subclass made from its items, without the class's own ``__new__``:
``make(cls, items)``, which the decoders call once per struct and per record (the generated
messages and the consumer's records are tuple subclasses).

This file is the reference and what runs interpreted, where ``make`` is ``tuple.__new__`` itself
(a function around it would only add its own call). The compiled build has ``tuple_new.c``
beside it (:data:`kafkaproto.compiled.C_MODULES`) with the same ``make``: it allocates the
instance and fills it, where ``tuple.__new__`` called from compiled code goes through a generic
call that makes three temporary tuples first (BENCHMARKS.md, "Compiled hot path").
"""

from __future__ import annotations

from typing import Final

__all__ = ["make"]

#: ``make(cls, items)``: a ``cls`` (a subclass of tuple) holding ``items`` (a list or a tuple)
#: in order; a ``TypeError`` when ``cls`` is not a subclass of tuple.
make: Final = tuple.__new__
