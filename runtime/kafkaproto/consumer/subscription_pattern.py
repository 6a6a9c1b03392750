"""``SubscriptionPattern``: a topic pattern the group coordinator evaluates (KIP-848), one of the
three things ``subscribe`` takes (a list of topics, a Python ``re.Pattern`` matched by the
consumer, or this). A value object only: it must never import the consumer's machinery.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SubscriptionPattern"]


@dataclass(frozen=True, slots=True)
class SubscriptionPattern:
    """A regular expression in RE2/J syntax that the group coordinator matches against the
    cluster's topics (Java's ``SubscriptionPattern``, KIP-848): only with
    ``group.protocol=consumer``. A Python ``re.Pattern`` given to ``subscribe`` is matched by the
    consumer itself instead, against the topics in its metadata (Java's ``Pattern``)."""

    pattern: str

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, str) or not self.pattern.strip():
            raise ValueError("Topic pattern to subscribe to cannot be empty")

    def __str__(self) -> str:
        return self.pattern
