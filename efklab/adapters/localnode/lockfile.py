"""An exclusive advisory lock on a file, held for the duration of a ``with`` block."""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Block until this process holds ``path``'s lock; it is released on exit (or when the process dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # read-only is enough for flock, so a machine-wide lock file another user created still works
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
