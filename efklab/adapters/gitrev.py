"""A file as it was at a git revision (``git show REV:./PATH``), for ``multiline diff --old FILE@REV``."""
from __future__ import annotations

import subprocess
from pathlib import Path

from efklab.errors import InputError


def read_file_at_revision(path: str, revision: str) -> str:
    """The text of ``path`` at ``revision`` of the repository that holds it; InputError if git cannot."""
    target = Path(path)
    where = target.parent if str(target.parent) else Path(".")
    try:
        done = subprocess.run(
            ["git", "-C", str(where), "show", f"{revision}:./{target.name}"],
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
