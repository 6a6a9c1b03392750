"""kafkaproto.tuple_new.make: the C extension of the compiled build and its pure-Python reference
(``tuple.__new__`` itself) make the same objects and refuse the same inputs. ``make unit`` runs
this file once against each (tests/test_compiled.py checks which one each run loads)."""

from __future__ import annotations

import gc
import sys
from typing import Any, NamedTuple

import pytest
from kafkaproto import tuple_new
from kafkaproto.consumer.record import ConsumerRecord
from kafkaproto.messages.metadata import MetadataResponsePartition


class Point(NamedTuple):
    x: int
    y: object


class Refuses(tuple[Any, ...]):
    """A tuple subclass whose own constructor must not run."""

    __slots__ = ()

    def __new__(cls, *args: Any) -> Refuses:
        raise AssertionError("make() called the class's __new__")


@pytest.mark.parametrize("convert", [list, tuple], ids=["list", "tuple"])
@pytest.mark.parametrize(
    ("cls", "items"),
    [
        (Point, [1, "two"]),
        (Refuses, [1, 2, 3]),
        (Refuses, []),
        (
            MetadataResponsePartition,
            list(MetadataResponsePartition(partition_index=7, leader_id=2, replica_nodes=(2,))),
        ),
        (ConsumerRecord, ["t", 0, 5, 1000, 0, b"k", b"v", (), None]),
    ],
    ids=["namedtuple", "own-new", "empty", "generated-message", "consumer-record"],
)
def test_make_is_tuple_new(cls: type[tuple[Any, ...]], items: list[Any], convert: Any) -> None:
    made = tuple_new.make(cls, convert(items))
    assert type(made) is cls
    assert made == tuple.__new__(cls, items)
    assert list(made) == items
    assert repr(made) == repr(tuple.__new__(cls, items))


def test_each_item_is_held_once_per_instance() -> None:
    item = object()
    before = sys.getrefcount(item)
    made = [tuple_new.make(Point, [item, item]) for _ in range(10)]
    assert sys.getrefcount(item) == before + 20
    del made
    assert sys.getrefcount(item) == before


def test_an_instance_in_a_cycle_is_collected() -> None:
    holder: list[Any] = []
    made = tuple_new.make(Point, [1, holder])
    holder.append(made)
    assert gc.is_tracked(made)
    del made, holder
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o) is Point and o[0] == 1]


@pytest.mark.parametrize("cls", [int, list, "Point", None], ids=repr)
def test_a_class_that_is_not_a_tuple_type_is_a_type_error(cls: Any) -> None:
    with pytest.raises(TypeError):
        tuple_new.make(cls, [1, 2])


def test_more_than_the_items_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        tuple_new.make(Point, [1, 2], [3])  # type: ignore[call-overload]
