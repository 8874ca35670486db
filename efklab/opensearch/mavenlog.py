"""What a Maven run's output says went wrong, in one line (no repository addresses)."""
from __future__ import annotations

import re
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def summarize_maven_error(output: str) -> str:
    """One line out of Maven's error report: not found, offline, cannot transfer, or the first error."""
    text = _ANSI.sub("", output)
    text = re.sub(r"\s*\(?\b(?:https?|file)://[^\s)]*\)?", "", text)  # repository addresses say nothing useful
    for pattern, label in (
        (r"Could not find artifact (\S+)", "{0} not found in the configured Maven repositories"),
        (r"(\S+) was not found in\s+during a previous attempt", "{0} not found in the configured Maven repositories"),
        (r"in offline mode and the artifact (\S+)", "{0} is not in the local Maven repository and Maven is offline"),
        (r"Could not transfer artifact (\S+).*?: ([^\n]+)", "{0} could not be downloaded: {1}"),
        (r"Could not resolve artifact (\S+)", "{0} could not be resolved"),
    ):
        match = re.search(pattern, text)
        if match:
            return label.format(*match.groups())[:300]
    errors = [line[len("[ERROR]"):].strip() for line in text.splitlines() if line.startswith("[ERROR]")]
    errors = [e for e in errors if e]
    return errors[0][:300] if errors else "mvn failed without an error message"


def first_compiler_error(log: str, source: Path) -> str | None:
    """The first Kotlin or Java compiler error of a Maven log, with its path relative to the source
    tree (``src/main/kotlin/.../X.kt:12:5: Unresolved reference: y``), or None when there is none."""
    text = _ANSI.sub("", log)
    prefix = str(source).rstrip("/") + "/"
    patterns = (
        r"^\[ERROR\] (?:e: )?(?:file://)?(\S+\.kt):? \((\d+), (\d+)\):? (.+)$",  # kotlin-maven-plugin
        r"^\[ERROR\] (?:e: )?(?:file://)?(\S+\.kt):(\d+):(\d+):? (.+)$",
        r"^\[ERROR\] (\S+\.java):\[(\d+),(\d+)\] (.+)$",  # maven-compiler-plugin
    )
    for line in text.splitlines():
        for pattern in patterns:
            match = re.match(pattern, line.strip())
            if match:
                path, row, col, message = match.groups()
                shown = path[len(prefix):] if path.startswith(prefix) else path
                return f"{shown}:{row}:{col}: {message.strip()}"[:300]
    return None
