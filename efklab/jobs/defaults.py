"""Where the committed sample set lives: the inputs every job falls back to when given none.

The notebooks and ``efklab samples`` default to these files so that a fresh checkout runs end to
end; they are found relative to the checkout (``data/samples`` beside the package).
"""
from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"
SEED_CONFIG = SAMPLES_DIR / "fluentd.yaml"  # the seed's corrected regex
AWS_SAMPLE_CONFIG = SAMPLES_DIR / "fluentd-aws-sample.yaml"  # the AWS sample regex the seed started from
SEED_POLICY = SAMPLES_DIR / "ism-policy.json"  # the seed's 30-day delete policy
SAMPLE_CONTAINERS = SAMPLES_DIR / "containers"
SAMPLE_PAYLOADS = SAMPLES_DIR / "payloads"
SEED_ENV = {"CLUSTER_NAME": "MyClusterName", "REGION": "ap-northeast-2"}  # the DaemonSet's environment in the seed
