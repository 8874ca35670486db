"""What the class and escape readers may use of the regexp parser.

The readers move through the parser's source and record what the translation needs, but must not
know the parser itself: depending on these protocols keeps the module graph one-way (the parser
imports the readers, never the reverse).  The parser satisfies both structurally.
"""
from __future__ import annotations

from typing import Protocol

from efklab.errors import RuleError


class Cursor(Protocol):
    """A position in the Ruby source, the ``regex``-package switch, and Ruby's error text."""

    src: str  # the whole Ruby regexp source
    i: int  # offset of the next character to read; readers advance it past what they consumed
    needs_regex: bool  # set when the translation uses what only the regex package has

    def ruby_error(self, message: str) -> RuleError:
        """Ruby's RegexpError ``message`` for this source (returned; the caller raises it)."""
        ...


class GroupCursor(Cursor, Protocol):
    """A :class:`Cursor` that also knows the groups, which back-references and anchors check."""

    names: set[str]  # every group name in the source (pre-scanned)
    defined_names: set[str]  # group names whose group has started so far
    total_groups: int  # the groups a reference may number (pre-scanned)
    capturing: int  # capturing groups started so far
    lookbehinds: int  # depth of look-behind groups being read
    deferred: list[tuple[int, str, int]]  # (rank, message, offset) checked once the whole pattern parsed

    def cannot(self, construct: str, at: int, why: str = ...) -> RuleError:
        """"cannot translate" for valid Ruby that Python cannot run (returned; the caller raises it)."""
        ...
