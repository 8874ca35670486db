"""Run a user's Node.js Lambda function under node, on Lambda events, with its network captured.

The function's folder is copied to a private work folder (its own ``node_modules`` linked, or the
dependencies of its ``package.json`` installed once with ``npm`` into efklab's cache and linked),
so the user's checkout is never written to.  ``harness.js`` redirects every request the function
makes to a loopback endpoint; the environment holds what a Lambda has (region, dummy credentials,
function name), never the user's own credentials.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from efklab.errors import InputError, UsageError
from efklab.lambda_.userfunction import MODULE_SUFFIXES, HandlerSpec

HARNESS = Path(__file__).with_name("harness.js")
NODE_MIN = 18  # the oldest runtime Lambda still offers for Node.js
_IGNORED = shutil.ignore_patterns("node_modules", ".git")
# Environment a deployed function sees; credentials are dummies so SigV4 code runs and signs nothing real.
LAMBDA_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKIAEFKLABDUMMYKEY00",
    "AWS_SECRET_ACCESS_KEY": "efklab-dummy-secret-not-a-credential",
    "AWS_SESSION_TOKEN": "efklab-dummy-session-token",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs20.x",
    "LAMBDA_TASK_ROOT": "",
    "TZ": ":UTC",
    "NODE_OPTIONS": "",
}
_PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True, slots=True)
class NodeRuntime:
    """The node executable efklab runs functions with, and its major version."""

    path: str
    major: int


def find_node(env: Mapping[str, str] | None = None) -> NodeRuntime:
    """node from EFKLAB_NODE or PATH, at least Node.js 18; a one-line UsageError otherwise."""
    env = os.environ if env is None else env
    path = env.get("EFKLAB_NODE") or shutil.which("node")
    if not path:
        raise UsageError("node is not installed: `efklab lambda` runs your function under Node.js "
                         f"{NODE_MIN}+ (e.g. apt-get install nodejs, or set EFKLAB_NODE); "
                         "the rest of efklab needs no node")
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"cannot run node at {path}: {exc}") from exc
    match = re.match(r"v(\d+)\.", done.stdout.strip())
    if done.returncode != 0 or match is None:
        answered = done.stdout.strip() or done.stderr.strip()
        raise UsageError(f"{path} --version answered {answered!r}, not a Node.js version")
    major = int(match.group(1))
    if major < NODE_MIN:
        raise UsageError(f"node at {path} is v{major}; Lambda runs Node.js {NODE_MIN} or later, "
                         "and so does efklab lambda")
    return NodeRuntime(path=path, major=major)


def locate_function(source: str, handler: HandlerSpec | None) -> tuple[Path, HandlerSpec]:
    """(the function's folder, the handler) for ``--source DIR|FILE``; InputError when it is not there."""
    where = Path(source)
    if where.is_file():
        folder = where.parent
        spec = handler or HandlerSpec(module=where.name.rsplit(".", 1)[0], export="handler")
    elif where.is_dir():
        folder = where
        spec = handler or HandlerSpec(module="index", export="handler")
    else:
        raise InputError("no such file or folder", source=source)
    if module_file(folder, spec) is None:
        tried = ", ".join(f"{spec.module}{s}" for s in MODULE_SUFFIXES)
        raise InputError(f"the handler's module is not there (looked for {tried})", source=str(folder))
    return folder, spec


def module_file(folder: Path, spec: HandlerSpec) -> Path | None:
    """The file Lambda would load for ``spec``: FILE.js, FILE.mjs or FILE.cjs."""
    for suffix in MODULE_SUFFIXES:
        candidate = folder / f"{spec.module}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def prepare_function(folder: Path, work: Path, cache_dir: Path, say: Callable[[str], None]) -> Path:
    """Copy the function to ``work/function`` and give it its dependencies; returns the copy's folder."""
    copy = work / "function"
    shutil.copytree(folder, copy, ignore=_IGNORED, symlinks=False)
    own = folder / "node_modules"
    if own.is_dir():
        (copy / "node_modules").symlink_to(own.resolve(), target_is_directory=True)
    elif (folder / "package.json").is_file():
        modules = install_dependencies(folder, cache_dir, say)
        if modules is not None:
            (copy / "node_modules").symlink_to(modules, target_is_directory=True)
    return copy


def install_dependencies(folder: Path, cache_dir: Path, say: Callable[[str], None]) -> Path | None:
    """``npm install`` the function's dependencies once into the cache, keyed by its manifest files."""
    manifests = [folder / name for name in ("package.json", "package-lock.json", "npm-shrinkwrap.json")]
    digest = hashlib.sha256()
    for manifest in manifests:
        if manifest.is_file():
            digest.update(manifest.name.encode() + b"\0" + manifest.read_bytes() + b"\0")
    target = cache_dir / "node-functions" / digest.hexdigest()[:24]
    modules = target / "node_modules"
    if (target / ".complete").is_file():
        return modules if modules.is_dir() else None
    npm = shutil.which("npm")
    if npm is None:
        raise UsageError(f"{folder / 'package.json'} lists dependencies, but npm is not installed to fetch them")
    partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=_ensure(cache_dir / "node-functions")))
    for manifest in manifests:
        if manifest.is_file():
            shutil.copy2(manifest, partial / manifest.name)
    lock = (partial / "package-lock.json").is_file() or (partial / "npm-shrinkwrap.json").is_file()
    command = [npm, "ci" if lock else "install", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts"]
    say(f"installing the function's dependencies with npm (once; cached in {target})")
    done = subprocess.run(command, cwd=partial, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        lines = [line for line in (done.stderr + done.stdout).splitlines() if "ERR" in line]
        lines = lines or [f"exit {done.returncode}"]
        raise UsageError(f"npm could not install the dependencies of {folder / 'package.json'}: {lines[0].strip()}")
    (partial / ".complete").write_text("ok\n")
    shutil.rmtree(target, ignore_errors=True)
    os.rename(partial, target)
    return modules if modules.is_dir() else None


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_harness(runtime: NodeRuntime, function: Path, spec: HandlerSpec, events: Iterable[Mapping[str, Any]], *,
                port: int, work: Path, timeout_ms: int, env: Mapping[str, str] | None = None,
                function_name: str = "efklab-user-function") -> tuple[list[dict[str, Any]], str]:
    """Invoke the handler once per event, in order; (one result per invocation, the function's console)."""
    events_file = work / "events.jsonl"
    with events_file.open("w", encoding="utf-8") as out:
        count = 0
        for event in events:
            out.write(json.dumps(event) + "\n")
            count += 1
    results = work / "results.jsonl"
    module = module_file(function, spec)
    assert module is not None  # locate_function checked the original folder, and the copy has it
    spec_file = work / "spec.json"
    spec_file.write_text(json.dumps({
        "module": str(module), "export": spec.export, "events": str(events_file), "results": str(results),
        "port": port, "timeoutMs": timeout_ms, "functionName": function_name, "memoryMb": 128,
    }))
    environment = {k: v for k, v in os.environ.items() if k in _PASS_THROUGH}
    environment.update(LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME=function_name, LAMBDA_TASK_ROOT=str(function))
    environment.update(env or {})
    console = work / "console.log"
    limit = max(60.0, count * (timeout_ms / 1000.0 + 1.0) + 30.0)
    with console.open("w") as log:
        try:
            done = subprocess.run([runtime.path, str(HARNESS), str(spec_file)], cwd=function, env=environment,
                                  stdout=log, stderr=subprocess.STDOUT, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            done = None
    text = console.read_text(encoding="utf-8", errors="replace")
    answers = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line] \
        if results.is_file() else []
    if done is None:
        answers.append({"event": len(answers), "outcome": "timeout",
                        "error": f"the harness did not finish within {limit:.0f} s"})
    elif done.returncode not in (0,) and len(answers) < count:
        tail = text.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        answers.append({"event": len(answers), "outcome": "error", "error": f"node exited: {tail[0]}"})
    return answers, text

