"""Process checks the test bed's managers share (kafka_cluster.py, secure_testbed.py). Standard
library only, like them: it must never import kafkaproto."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` is running (not gone, not a zombie)."""
    try:
        # Reap it if it is our own child that already exited, so it is not mistaken for alive.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name; Z (zombie) and X (dead) are gone.
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
