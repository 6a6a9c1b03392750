"""Version ranges as Kafka's message specs write them: ``"none"``, ``"3"``, ``"3-7"``, ``"3+"``.

Only parsing and set arithmetic on ranges live here; what the ranges mean is the model's job.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Kafka stores versions as Java shorts; "N+" means "N up to Short.MAX_VALUE".
MAX_VERSION = 32767


class VersionRangeError(ValueError):
    """A version range string that Kafka's generator would refuse."""


@dataclass(frozen=True, slots=True)
class Versions:
    """A contiguous, inclusive range of versions; ``lowest > highest`` is the empty range."""

    lowest: int
    highest: int

    @classmethod
    def parse(cls, text: str) -> Versions:
        s = text.strip()
        if s == "none":
            return NONE
        try:
            if s.endswith("+"):
                return cls._checked(_short(s[:-1]), MAX_VERSION)
            if "-" in s[1:]:
                dash = s.index("-", 1)
                return cls._checked(_short(s[:dash]), _short(s[dash + 1 :]))
            v = _short(s)
            return cls._checked(v, v)
        except ValueError as exc:
            raise VersionRangeError(f"invalid version range {text!r}: {exc}") from None

    @classmethod
    def _checked(cls, lowest: int, highest: int) -> Versions:
        if lowest < 0 or highest < 0:
            raise VersionRangeError(f"versions cannot be negative ({lowest} to {highest})")
        if lowest > highest:
            raise VersionRangeError(f"lowest version {lowest} is above highest {highest}")
        return cls(lowest, highest)

    @property
    def empty(self) -> bool:
        return self.lowest > self.highest

    @property
    def open_ended(self) -> bool:
        return not self.empty and self.highest == MAX_VERSION

    def __contains__(self, version: object) -> bool:
        return isinstance(version, int) and self.lowest <= version <= self.highest

    def contains_range(self, other: Versions) -> bool:
        return other.empty or (self.lowest <= other.lowest and other.highest <= self.highest)

    def intersect(self, other: Versions) -> Versions:
        lo, hi = max(self.lowest, other.lowest), min(self.highest, other.highest)
        return Versions(lo, hi) if lo <= hi else NONE

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.lowest, self.highest + 1))

    def __str__(self) -> str:
        if self.empty:
            return "none"
        if self.highest == MAX_VERSION:
            return f"{self.lowest}+"
        if self.lowest == self.highest:
            return str(self.lowest)
        return f"{self.lowest}-{self.highest}"


NONE = Versions(0, -1)


def _short(text: str) -> int:
    # Java's Short.parseShort: optional sign, decimal digits, within the short range.
    t = text.strip()
    if not t or not t.lstrip("+-").isdigit() or t.count("+") + t.count("-") > 1:
        raise ValueError(f"{text!r} is not a number")
    value = int(t)
    if not -32768 <= value <= 32767:
        raise ValueError(f"{text!r} is out of range for a version")
    return value
