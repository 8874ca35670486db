"""ISM policy files as ``--policy`` names them: read, each validated, and checked as one set.

``efklab retention`` and ``efklab layout`` (for the retention period) both take policy files;
both read them here, so a file that cannot be read, a policy the plugin refuses and two policies
it would not hold together fail the same way everywhere.
"""
from __future__ import annotations

from collections.abc import Sequence

from efklab.adapters.files import read_file_bytes
from efklab.retention.policy import Policy, check_policy_set, load_policy


def read_policies(paths: Sequence[str]) -> list[Policy]:
    """Load and validate policy files; two with one id, or templates overlapping at one priority, are refused."""
    policies = []
    for path in paths:
        policies.append(load_policy(read_file_bytes(path, what="policy"), source=path))
    check_policy_set(policies)
    return policies
