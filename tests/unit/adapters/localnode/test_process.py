"""Telling whether a node we launched has died, with real child processes."""
from __future__ import annotations

import subprocess

from efklab.adapters.localnode.process import NodeProcess, startup_exited


def test_a_launched_child_is_alive_until_it_exits_and_then_reads_as_exited() -> None:
    """startup_exited follows waitpid on our own child: alive while it runs, exited once it ends."""
    child = subprocess.Popen(["sh", "-c", "read line"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    node = NodeProcess("node-0", child.pid, 9200, 9300, "/nonexistent")
    assert not startup_exited(node)
    assert child.stdin is not None and child.stdout is not None
    child.stdin.close()
    child.stdout.read()  # EOF: the child is ending
    assert any(startup_exited(node) for _ in range(100_000))
