"""Write notebooks/00-doctor.ipynb from the cell list below, with build.py's builder (stable ids, no outputs).

Run ``python notebooks/build_doctor.py`` after editing the cells here; ``--check`` exits 1 when the
committed notebook differs from what this script writes (used by the tests).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import HERE, build  # noqa: E402 - the shared notebook builder beside this file

NAME = "00-doctor"
CELLS: list[tuple[str, str]] = [
    ("md", """# 00 · Doctor: what will go wrong with this pipeline before it ships?

One look at the fluentd config, the ISM policy, a sample of container logs and of subscription payloads
(and, given a URL, at the cluster): every known trap of the pipeline, each finding with its evidence from
your samples, why it matters in production and the fix.  The same checks as `efklab doctor`; by default the
committed sample set (the seed's corrected setup).  Set `config` to `data/samples/fluentd-aws-sample.yaml`
to see the seed's setup before its fix."""),
    ("parameters", '''config: str = ""  # fluentd config (file or FILE@GITREV); empty: data/samples/fluentd.yaml; none: leave it out
policy: str = ""  # ISM policy JSON; empty: data/samples/ism-policy.json; none: leave it out
logs: str = ""  # container logs: a folder (*.log or containers/*.log) or one file; empty: data/samples; none: leave them out
payloads: str = ""  # payloads: a file, a folder or a glob; empty: data/samples/payloads; none: emulate them from config + logs
mode: str = "opensearch"  # transform mode: opensearch, or seed (the seed Lambda's bulk actions, with _type)
index_strategy: str = "seed"  # index naming: seed, cwl, cwl-group or a template such as {prefix}-{date:%Y.%m.%d}
opensearch_url: str = ""  # read node facts (version, shard limit, ISM, existing indices) from this URL; empty: no node
aws_region: str = ""  # sign requests with SigV4 for Amazon OpenSearch Service (boto3 credential chain); empty: no signing
ca_certs: str = ""  # CA bundle to verify the endpoint's TLS certificate; empty: the system's
no_verify_tls: bool = False  # do not verify TLS certificates
only: str = ""  # run only these checks: comma-separated ids or prefixes (e.g. concat-,ordering-); empty: all
skip: str = ""  # do not run these checks: comma-separated ids or prefixes'''),
    ("code", "import pandas as pd\n\nfrom efklab.adapters.doctorrun import diagnose_samples\nfrom efklab.reports import record_check\n\n"
             "pd.set_option(\"display.max_colwidth\", 200)"),
    ("code", "report = diagnose_samples(config=config, policy=policy, logs=logs, payloads=payloads, mode=mode, index_strategy=index_strategy,\n"
             "                          opensearch_url=opensearch_url, aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls,\n"
             "                          only=only, skip=skip)\n"
             "pd.Series(report.counts, name=\"findings\").to_frame()"),
    ("md", "## What was read"),
    ("code", "report.inputs_table()"),
    ("md", "## Findings, errors first\nEach row: what was found, where to change it, the evidence from the samples, why it matters, the fix."),
    ("code", "report.findings_table()"),
    ("md", "## Every check: clean, found something, or skipped (and which input it needs)"),
    ("code", "report.checks_table()"),
    ("md", "## Verdicts"),
    ("code", "record_check(\"no error found\", report.counts[\"error\"] == 0, **report.counts)"),
]


def main(argv: list[str]) -> int:
    """Write the notebook, or with ``--check`` say whether the committed one is what this writes."""
    text = nbformat.writes(build(NAME, CELLS)) + "\n"
    path = HERE / f"{NAME}.ipynb"
    if "--check" in argv:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"out of date (run python notebooks/build_doctor.py): {path.name}", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
