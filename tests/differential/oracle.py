"""The node oracle: the seed Lambda's own code (read from the seed document) and JavaScript itself.

The seed code is cut from the seed document at test time, from ``// v1.1.2`` to the end of its
``logFailure`` function, and run unmodified by ``node_oracle.js``; it is never stored in the
project.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).with_name("node_oracle.js")


def find_node() -> str | None:
    """The node executable, or None."""
    return shutil.which("node")


def extract_seed_lambda(document: str) -> str:
    """The seed's Lambda code: from the ``// v1.1.2`` line to the closing brace of ``logFailure``."""
    start = document.index("// v1.1.2")
    fn = document.index("function logFailure", start)
    depth = 0
    for i in range(document.index("{", fn), len(document)):
        if document[i] == "{":
            depth += 1
        elif document[i] == "}":
            depth -= 1
            if depth == 0:
                return document[start : i + 1] + "\n"
    raise ValueError("the seed document's logFailure function never closes")


class NodeOracle:
    """One long-lived node process answering JSON requests line by line."""

    def __init__(self, node: str, seed_code: str | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="efklab-oracle-")
        args = [node, str(HARNESS)]
        if seed_code is not None:
            code_file = Path(self._tmp.name) / "seed-lambda.js"
            code_file.write_text(seed_code, encoding="utf-8")
            args.append(str(code_file))
        self._args = args
        self._proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            bufsize=1
        )

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request, one answer (for hypothesis examples)."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"node oracle died: {self._proc.stderr.read() if self._proc.stderr else ''}")
        return json.loads(line)

    def batch(self, requests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Many requests through a fresh process (no pipe deadlock, one node start)."""
        text = "".join(json.dumps(r) + "\n" for r in requests)
        done = subprocess.run(self._args, input=text, capture_output=True, text=True, encoding="utf-8", check=False)
        if done.returncode != 0:
            raise RuntimeError(f"node oracle failed: {done.stderr.strip()}")
        answers = [json.loads(line) for line in done.stdout.split("\n") if line]  # not splitlines: U+2028
        assert len(answers) == len(requests), done.stderr
        return answers

    def close(self) -> None:
        """Stop the process and remove the extracted code."""
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(timeout=10)
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream:
                stream.close()
        self._tmp.cleanup()
