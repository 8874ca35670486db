"""The index template replay installs: the Lambda's ``@`` fields mapped on purpose, not guessed.

Without it, dynamic mapping makes ``@id`` and ``@log_group`` text-plus-keyword and ``@timestamp``
whatever the first document suggests; with it, the daily indices of one strategy agree.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from efklab.lambda_.transform import SEED, TransformOptions
from efklab.opensearch.indexnames import IndexStrategy, compile_index_strategy

TEMPLATE_PRIORITY = 50  # above OpenSearch's defaults, below anything a user sets deliberately

MAPPED_FIELDS: dict[str, dict[str, str]] = {
    "@timestamp": {"type": "date"},
    "@id": {"type": "keyword"},
    "@log_group": {"type": "keyword"},
    "@log_stream": {"type": "keyword"},
    "@owner": {"type": "keyword"},
    "@message": {"type": "text"},
}


def index_pattern(strategy: IndexStrategy) -> str:
    """The ``*`` pattern every index name of ``strategy`` matches (the prefix is filled in, other fields are ``*``)."""
    chunks: list[str] = []
    for part in strategy.parts:
        chunks.append(part.literal)
        if part.field == "prefix":
            chunks.append(strategy.prefix)
        elif part.field is not None:
            chunks.append("*")
    return re.sub(r"\*+", "*", "".join(chunks))


def pattern_for(options: TransformOptions) -> str:
    """The index pattern of the indices a replay with ``options`` writes (seed mode names as the seed does)."""
    if options.mode == SEED:
        return index_pattern(compile_index_strategy("seed"))
    return index_pattern(compile_index_strategy(options.index_strategy, prefix=options.prefix, tz=options.tz))


def template_name(pattern: str) -> str:
    """One template per pattern, so replays with the same strategy update rather than pile up."""
    slug = re.sub(r"[^a-z0-9]+", "-", pattern.lower()).strip("-")[:60] or "all"
    return f"efklab-{slug}-{hashlib.sha256(pattern.encode()).hexdigest()[:6]}"


def replay_template(pattern: str) -> tuple[str, dict[str, Any]]:
    """(name, body) of the composable index template for ``pattern``."""
    body = {
        "index_patterns": [pattern],
        "priority": TEMPLATE_PRIORITY,
        "template": {"mappings": {"properties": {k: dict(v) for k, v in MAPPED_FIELDS.items()}}},
        "_meta": {"managed_by": "efklab replay", "description": "CloudWatch Logs fields of the subscription Lambda"},
    }
    return template_name(pattern), body
