"""The running state of one concat engine, apart from its frozen rule.

``EngineState`` is what both the general state machine (:mod:`efklab.fluentd.concat.engine`)
and regexp mode's loop (:mod:`efklab.fluentd.concat.fastpath`) read and advance: the buffers,
the time each stream was last seen, the feed counter, the next moment the emulated timer must
look.  It also carries, already unpacked, the rule's parameters those loops read per record, so
the loop binds them to locals once instead of walking the rule's mode.
"""
from __future__ import annotations

from efklab.fluentd.concat.events import Entry
from efklab.fluentd.concat.rule import ConcatRule, Matcher, RegexpMode

NEVER = 1 << 126  # a timer check later than any event time


class EngineState:
    """Runtime state of one concat filter plus the rule parameters its per-record loops read.

    The containers are mutated in place (a loop may hold them as locals); ``seq`` and
    ``next_check`` are plain numbers, so a loop that keeps them in locals writes them back.
    """

    __slots__ = (
        "buffers", "continuous", "end", "interval_ns", "key", "last_seen", "next_check",
        "separator", "seq", "sids", "sizes", "start", "stream_identity_key", "use_first_timestamp",
    )

    def __init__(self, rule: ConcatRule) -> None:
        # From the rule, fixed for the engine's life.
        mode = rule.mode
        regexp = mode if isinstance(mode, RegexpMode) else None
        self.key: str = rule.key
        self.separator: str = rule.separator
        self.use_first_timestamp: bool = rule.use_first_timestamp
        self.stream_identity_key: str | None = rule.stream_identity_key
        self.interval_ns: int = round(rule.flush_interval * 1e9)
        self.start: Matcher | None = regexp.start if regexp is not None else None  # regexp mode's matchers
        self.end: Matcher | None = regexp.end if regexp is not None else None
        self.continuous: Matcher | None = regexp.continuous if regexp is not None else None
        # Running state.
        self.buffers: dict[str, list[Entry]] = {}  # stream identity -> buffered records, in arrival order
        self.sizes: dict[str, int] = {}  # stream identity -> buffered bytes (partial_key mode's limit)
        self.last_seen: dict[str, int] = {}  # the plugin's @timeout_map
        self.sids: dict[str, str] = {}  # tag -> "tag:default" (no stream_identity_key)
        self.seq = 0  # records fed so far: the next record's feed-order number
        self.next_check = NEVER  # never later than the earliest real deadline
