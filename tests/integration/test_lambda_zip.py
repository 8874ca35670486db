"""`make lambda-zip`: the zip's handler runs under a plain, isolated ``python -c`` against the local node."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore
import pytest

from efklab.adapters.opensearch import count_per_index, delete_indices
from efklab.deploy.build import inspect_handler
from efklab.testing import lambda_event, make_payload
from tests.conftest import ROOT
from tests.integration.recording_proxy import RecordingProxy

pytestmark = pytest.mark.integration

PREFIX = "h6zip"
# Where botocore, urllib3 and their dependencies live: the Lambda runtime ships these.
RUNTIME_SITE = str(Path(botocore.__file__).resolve().parents[1])

RUN_HANDLER = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
for name in filter(None, sys.argv[4].split(",")):  # optional accelerators the runtime lacks: not importable
    sys.modules[name] = None
import efklab, efklab.deploy.handler as module
assert efklab.__file__.startswith(sys.argv[1]), "imported efklab from " + efklab.__file__
class Context:
    aws_request_id = "zip-request-1"
result = module.handler(json.load(open(sys.argv[3])), Context())
heavy = sorted({m.split(".")[0] for m, v in sys.modules.items() if v is not None}
               & {"pandas", "matplotlib", "opensearchpy", "yaml", "regex", "tqdm", "papermill", "numpy", "orjson"})
print(json.dumps({"result_outcome": result["outcome"], "heavy_modules": heavy}))
"""


def _build(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "efklab.deploy.build", str(out)], cwd=ROOT, capture_output=True,
                          text=True, check=False)


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("zip") / "lambda.zip"
    done = _build(out)
    assert done.returncode == 0, done.stderr
    assert (done.stdout.startswith(f"{out}: ") and "bytes" in done.stdout
            and "efklab.deploy.handler.handler" in done.stdout)
    return out


def test_the_zip_holds_the_handler_and_only_the_core_it_imports(lambda_zip: Path) -> None:
    """The handler, the payload codec, transform and bulk core are in; the CLI,
    opensearch-py adapter and notebooks are not."""
    names = set(zipfile.ZipFile(lambda_zip).namelist())
    for needed in ("efklab/__init__.py", "efklab/deploy/handler.py", "efklab/deploy/config.py",
                   "efklab/deploy/transport.py", "efklab/cloudwatch/payloads.py", "efklab/lambda_/transform.py",
                   "efklab/opensearch/bulk.py", "efklab/adapters/aws.py"):
        assert needed in names
    assert not any(n.startswith("efklab/cli/")
                   or n in ("efklab/adapters/opensearch.py", "efklab/adapters/localnode/lifecycle.py",
                            "efklab/reports/runner.py") for n in names)
    assert all(n.endswith(".py") for n in names)


def test_the_zip_is_reproducible(lambda_zip: Path, tmp_path: Path) -> None:
    """Two builds of the same sources are byte-identical (fixed times, sorted entries)."""
    again = tmp_path / "again.zip"
    assert _build(again).returncode == 0
    assert again.read_bytes() == lambda_zip.read_bytes()


def test_the_zipped_handler_indexes_a_sample_event_under_plain_python(lambda_zip: Path, tmp_path: Path,
                                                                      opensearch_url: str, opensearch_client: Any,
                                                                      opensearch_connection: Any) -> None:
    """Unzipped alone (python -I -S: no checkout, no site-packages but the runtime's), the handler signs,
    posts and indexes."""
    unpacked = tmp_path / "function"
    zipfile.ZipFile(lambda_zip).extractall(unpacked)
    event = tmp_path / "event.json"
    payload = make_payload([{"log": f"zip line {i}\n", "n": i} for i in range(4)],
                           log_group="/aws/containerinsights/efklab/application/zipped/api")
    event.write_text(json.dumps(lambda_event(payload)))
    env = {
        "PATH": "/usr/bin:/bin",
        "EFKLAB_PREFIX": PREFIX,
        "EFKLAB_SIGNING": "sigv4",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIAEFKLABZIP",
        "AWS_SECRET_ACCESS_KEY": "zip-test-secret",
        "AWS_SESSION_TOKEN": "zip-test-token",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    delete_indices(opensearch_client, opensearch_connection, f"{PREFIX}-*")
    try:
        with RecordingProxy(opensearch_url) as proxy:
            env["EFKLAB_OPENSEARCH_URL"] = proxy.url
            done = subprocess.run(
                [sys.executable, "-I", "-S",
                 "-c", RUN_HANDLER, str(unpacked), RUNTIME_SITE, str(event), ",".join(inspect_handler()[1])],
                cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120,
            )
        assert done.returncode == 0, done.stderr
        summary_line, verdict_line = done.stdout.splitlines()
        summary, verdict = json.loads(summary_line), json.loads(verdict_line)
        assert summary["indexed"] == 4 and summary["request_id"] == "zip-request-1"
        assert verdict == {"result_outcome": "ok", "heavy_modules": []}
        assert proxy.requests[0].header("Authorization").startswith("AWS4-HMAC-SHA256 Credential=AKIAEFKLABZIP/")
        assert count_per_index(opensearch_client, opensearch_connection, f"{PREFIX}-*") == {
            f"{PREFIX}-zipped-api-{_day(payload)}": 4
        }
    finally:
        delete_indices(opensearch_client, opensearch_connection, f"{PREFIX}-*")


def _day(payload: dict[str, Any]) -> str:
    stamp = payload["logEvents"][0]["timestamp"] / 1000
    return datetime.fromtimestamp(stamp, tz=UTC).strftime("%Y.%m.%d")
