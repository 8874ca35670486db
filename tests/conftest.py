"""Shared test configuration.  Paths to the shared reference material live here."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The shared reference material (seed document, fluentd config corpus) sits beside the
# checkout in CI; EFKLAB_SHARED_DIR points elsewhere (e.g. when testing a fresh clone).
SHARED = Path(os.environ.get("EFKLAB_SHARED_DIR") or ROOT.parent / "shared")
SEED_DOCUMENT = SHARED / "seeds" / "000_29f1129588a3e2c6.txt"
FLUENTD_CORPUS = SHARED / "fluentd-configs"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
