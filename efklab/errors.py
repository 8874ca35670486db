"""The small error hierarchy of efklab.

Every error that reaches a user is one line, ``source:position: reason``, so that
editors and CI logs can jump to the place.  Vendor exceptions are wrapped with
``raise ... from`` so the cause is kept for debugging but never printed as a traceback.
"""
from __future__ import annotations


class EfklabError(Exception):
    """Bad input or an unusable environment; the CLI prints it as one line and exits 2."""

    def __init__(self, reason: str, *, source: str | None = None, position: str | int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.source = source
        self.position = position

    def __str__(self) -> str:
        where = [str(p) for p in (self.source, self.position) if p is not None and p != ""]
        text = " ".join(self.reason.split())  # one line, always
        return f"{':'.join(where)}: {text}" if where else text


class UsageError(EfklabError):
    """Options that do not fit together, or a missing argument."""


class InputError(EfklabError):
    """A file that cannot be opened or read."""


class PayloadError(EfklabError):
    """A CloudWatch Logs subscription payload that cannot be decoded or fails its schema."""


class IndexNameError(EfklabError):
    """An index name (or naming template) OpenSearch would refuse."""


class ConfigError(EfklabError):
    """A fluentd configuration that cannot be parsed or is refused as fluentd would."""


class RuleError(ConfigError):
    """A multiline rule (regexp or concat parameters) that fluentd would refuse at startup."""


class PolicyError(EfklabError):
    """An ISM policy that is invalid; ``position`` is its JSON path."""


class NodeError(EfklabError):
    """The local OpenSearch node cannot be provisioned, started or reached."""


class RemoteError(EfklabError):
    """A remote OpenSearch or AWS endpoint that cannot be reached or refuses us."""


class ReportError(EfklabError):
    """A notebook report that cannot be run or written (unknown parameter, secret found)."""


class RegexpTimeoutError(EfklabError):
    """A user regexp that did not finish on one input line within the time bound (catastrophic backtracking).

    Raised where the regexp runs, which does not know the line's place; ``subject`` is the text it
    ran on, so a caller that does (a log chunk, a record list) re-raises it ``at`` ``file:line``.
    """

    def __init__(self, reason: str, *, source: str | None = None, position: str | int | None = None,
                 subject: str = "") -> None:
        super().__init__(reason, source=source, position=position)
        self.subject = subject

    def at(self, source: str | None, position: str | int | None) -> RegexpTimeoutError:
        """The same error placed at the input line it happened on."""
        return RegexpTimeoutError(self.reason, source=source, position=position, subject=self.subject)
