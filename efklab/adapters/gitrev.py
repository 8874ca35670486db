"""A file as it was at a git revision (``git show REV:./PATH``), for ``multiline diff --old FILE@REV``.

The revision comes from the command line or a notebook parameter, so it is never allowed to be
read as an option: a revision starting with ``-`` is refused (``@--output=PATH`` would make git
write a file) and ``--end-of-options`` ends git's option parsing before it.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from efklab.errors import InputError, UsageError


def check_revision(path: str, revision: str) -> None:
    """UsageError for a revision git could read as an option (or an empty one)."""
    if not revision:
        raise UsageError("FILE@REV without a revision after '@'", source=f"{path}@")
    if revision.startswith("-"):
        raise UsageError(f"revision {revision!r} starts with '-': refused, git would read it as an option",
                         source=f"{path}@{revision}")


def read_file_at_revision(path: str, revision: str) -> str:
    """The text of ``path`` at ``revision`` of the repository that holds it; InputError if git cannot."""
    check_revision(path, revision)
    target = Path(path)
    where = target.parent if str(target.parent) else Path(".")
    try:
        done = subprocess.run(
            ["git", "-C", str(where), "show", "--end-of-options", f"{revision}:./{target.name}"],
            capture_output=True, check=False, timeout=60,
        )
    except FileNotFoundError as exc:
        raise InputError("git is not installed, so FILE@REV cannot be read", source=f"{path}@{revision}") from exc
    except subprocess.TimeoutExpired as exc:
        raise InputError("git show took longer than 60 s", source=f"{path}@{revision}") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"git show failed: {reason[-1] if reason else 'exit ' + str(done.returncode)}",
                         source=f"{path}@{revision}")
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text at byte {exc.start}", source=f"{path}@{revision}") from exc
