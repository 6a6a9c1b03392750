"""kafkaproto.object_new.make: the C extension of the compiled build and its pure-Python reference
(``object.__new__`` itself) make the same objects and refuse the same classes. ``make unit`` runs
this file once against each (tests/test_compiled.py checks which one each run loads)."""

from __future__ import annotations

import abc
import concurrent.futures
import gc
import sys
import weakref
from typing import Any

import pytest
from kafkaproto import object_new
from kafkaproto.producer.sync_producer import SendFuture


class Plain:
    def __init__(self) -> None:
        raise AssertionError("make() ran the class's __init__")


class Slotted(Plain):
    __slots__ = ("a", "b")


class OwnNew:
    """A class with a __new__ of its own: object.__new__ skips it, and so must make()."""

    def __new__(cls) -> OwnNew:
        raise AssertionError("make() called the class's __new__")


class Abstract(abc.ABC):
    @abc.abstractmethod
    def run(self) -> None: ...


@pytest.mark.parametrize("cls", [Plain, Slotted, OwnNew, SendFuture], ids=lambda c: c.__name__)
def test_make_is_object_new(cls: type) -> None:
    made = object_new.make(cls)
    assert type(made) is cls
    reference = object.__new__(cls)
    assert getattr(made, "__dict__", None) == getattr(reference, "__dict__", None)


def test_slots_start_unset() -> None:
    made = object_new.make(Slotted)
    with pytest.raises(AttributeError):
        made.a  # noqa: B018
    made.a, made.b = 1, "two"
    assert (made.a, made.b) == (1, "two")


def test_a_future_made_so_is_a_pending_future_with_lazy_parts() -> None:
    # What Producer.send does: SendFuture's __init__ is object's, its Condition made on first use.
    future = object_new.make(SendFuture)
    future._group = None
    assert isinstance(future, concurrent.futures.Future)
    assert not future.done()
    future.set_result(None)
    assert future.done() and future.result(timeout=0) is None


def test_the_class_is_held_once_per_instance_and_instances_are_freed() -> None:
    before = sys.getrefcount(Slotted)
    made = [object_new.make(Slotted) for _ in range(10)]
    assert sys.getrefcount(Slotted) == before + 10
    ref = weakref.ref(object_new.make(Plain))
    assert ref() is None  # freed at once: nothing else holds it
    del made
    assert sys.getrefcount(Slotted) == before


def test_an_instance_in_a_cycle_is_collected() -> None:
    made: Any = object_new.make(Plain)
    made.me = made
    ref = weakref.ref(made)
    assert gc.is_tracked(made)
    del made
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize(
    "cls",
    [Abstract, int, tuple, "Plain", None, 3],
    ids=["abstract", "int", "tuple", "str", "none", "int-value"],
)
def test_what_object_new_refuses_make_refuses(cls: Any) -> None:
    with pytest.raises(TypeError) as expected:
        object.__new__(cls)
    with pytest.raises(TypeError) as got:
        object_new.make(cls)
    assert str(got.value) == str(expected.value)


def test_no_class_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        object_new.make()  # type: ignore[call-arg]
