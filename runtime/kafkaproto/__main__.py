"""``python -m kafkaproto``: the same command as the ``kafkaproto`` script
(:mod:`kafkaproto.cli`). It must never hold more than this call."""

from __future__ import annotations

import sys

from kafkaproto.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m kafkaproto"))
