"""Find a JDK the node's engine version runs on (OpenSearch 2.x: 11-21, 3.x: 21+ ...), whatever ``JAVA_HOME`` is."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from efklab.errors import NodeError
from efklab.opensearch.engines import DEFAULT, EngineVersion, choose_java_for
from efklab.opensearch.nodeconfig import parse_java_version

_SCAN_ROOTS = ("/usr/lib/jvm", "/usr/java", "/opt/java", "/Library/Java/JavaVirtualMachines")


def read_java_version(home: Path) -> int | None:
    """The feature version of the JDK at ``home``: its ``release`` file, else ``java -version``."""
    release = home / "release"
    if release.is_file():
        version = parse_java_version(release.read_text(errors="replace"))
        if version is not None:
            return version
    java = home / "bin" / "java"
    if not os.access(java, os.X_OK):
        return None
    try:
        done = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_java_version(done.stderr + done.stdout)


def _candidate_homes(env: Mapping[str, str]) -> Iterable[Path]:
    if env.get("JAVA_HOME"):
        yield Path(env["JAVA_HOME"])
    for root in _SCAN_ROOTS:
        base = Path(root)
        if base.is_dir():
            for child in sorted(base.iterdir()):
                home = child / "Contents" / "Home" if (child / "Contents" / "Home").is_dir() else child
                if (home / "bin" / "java").exists():
                    yield home
    on_path = shutil.which("java", path=env.get("PATH"))
    if on_path:
        yield Path(os.path.realpath(on_path)).parent.parent


def find_java_home(env: Mapping[str, str], explicit: Path | None = None,
                   engine_version: EngineVersion = DEFAULT) -> tuple[Path, int]:
    """The JDK to use and its version; an explicit one that does not fit is an error, not skipped."""
    needs = f"{engine_version.label} needs {engine_version.java_text}"
    if explicit is not None:
        version = read_java_version(explicit)
        if version is None or not engine_version.java_fits(version):
            found = "no Java" if version is None else f"Java {version}"
            raise NodeError(f"EFKLAB_JAVA_HOME={explicit} is {found}; {needs}")
        return explicit, version
    seen: dict[Path, int | None] = {}
    for home in _candidate_homes(env):
        resolved = home.resolve()
        if resolved not in seen:
            seen[resolved] = read_java_version(resolved)
    preferred = Path(env["JAVA_HOME"]).resolve() if env.get("JAVA_HOME") else None
    chosen = choose_java_for(engine_version, list(seen.items()), preferred=preferred)
    if chosen is None:
        found = ", ".join(sorted({f"Java {v}" for v in seen.values() if v is not None})) or "none"
        low = engine_version.java_range[0]
        raise NodeError(f"{needs} and none is installed (found: {found}); install one "
                        f"(e.g. apt-get install openjdk-{max(low, 17)}-jdk-headless) or set EFKLAB_JAVA_HOME")
    return chosen, int(seen[chosen])  # type: ignore[arg-type]  # choose_java_for picks only a home with a version
