"""Exponential backoff with jitter, as Java's ``org.apache.kafka.common.utils.ExponentialBackoff``.

The producer retries with ``ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2)``
(``RecordAccumulator``'s constructor, ``CommonClientConfigs.RETRY_BACKOFF_EXP_BASE`` and
``RETRY_BACKOFF_JITTER``); the cluster client reconnects and refreshes metadata with the same
formula (``ClusterConnectionStates``, ``Metadata``). Pure arithmetic: this module must never sleep
or read clocks.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

__all__ = ["RETRY_BACKOFF_EXP_BASE", "RETRY_BACKOFF_JITTER", "ExponentialBackoff"]

RETRY_BACKOFF_EXP_BASE = 2
RETRY_BACKOFF_JITTER = 0.2


class ExponentialBackoff:
    """``backoff(attempts)`` = ``initial * multiplier**min(attempts, exp_max)`` times a random
    factor in ``[1 - jitter, 1 + jitter)``, truncated to an int and capped at ``max_interval``."""

    __slots__ = ("_exp_max", "_random", "initial", "jitter", "max_interval", "multiplier")

    def __init__(
        self,
        initial: int,
        multiplier: int = RETRY_BACKOFF_EXP_BASE,
        max_interval: int = 1000,
        jitter: float = RETRY_BACKOFF_JITTER,
        *,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.initial = min(max_interval, initial)
        self.multiplier = multiplier
        self.max_interval = max_interval
        self.jitter = jitter
        self._random = uniform
        # Java compares max_interval with the *unclamped* initial interval here.
        self._exp_max = (
            math.log(max_interval / max(initial, 1)) / math.log(multiplier)
            if max_interval > initial
            else 0.0
        )

    def backoff(self, attempts: int) -> int:
        if self._exp_max == 0:
            return self.initial
        term = self.initial * self.multiplier ** min(attempts, self._exp_max)
        factor = (
            1.0
            if self.jitter < 2.2250738585072014e-308
            else (self._random(1 - self.jitter, 1 + self.jitter))
        )
        return min(int(factor * term), self.max_interval)
