"""Where the committed sample set lives, and how a notebook names a config: the inputs jobs fall back to.

The notebooks and ``efklab samples`` default to these files so that a fresh checkout runs end to
end; they are found relative to the checkout (``data/samples`` beside the package).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from efklab.adapters.gitrev import read_file_at_revision
from efklab.errors import UsageError

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"
SEED_CONFIG = SAMPLES_DIR / "fluentd.yaml"  # the seed's corrected regex
AWS_SAMPLE_CONFIG = SAMPLES_DIR / "fluentd-aws-sample.yaml"  # the AWS sample regex the seed started from
SEED_POLICY = SAMPLES_DIR / "ism-policy.json"  # the seed's 30-day delete policy
SAMPLE_CONTAINERS = SAMPLES_DIR / "containers"
SAMPLE_PAYLOADS = SAMPLES_DIR / "payloads"
SEED_ENV = {"CLUSTER_NAME": "MyClusterName", "REGION": "ap-northeast-2"}  # the DaemonSet's environment in the seed


def config_path(spec: str, default: Path) -> str:
    """A config file from a notebook parameter: a path, ``FILE@GITREV`` (the file at a git revision, written
    to a temporary file), or empty for ``default`` (a committed sample config)."""
    path = Path(spec) if spec else default
    if path.is_file():
        return str(path)
    if "@" in spec:
        name, _, revision = spec.rpartition("@")
        text = read_file_at_revision(name, revision)
        folder = Path(tempfile.mkdtemp(prefix="efklab-config-"))
        copy = folder / f"{revision.replace('/', '_')}-{Path(name).name}"
        copy.write_text(text, encoding="utf-8")
        return str(copy)
    raise UsageError(f"no such fluentd config: {path} (a file, FILE@GITREV, or empty for {default.name})")
