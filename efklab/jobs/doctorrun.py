"""One call for ``efklab doctor`` and notebook 00-doctor: read the inputs, ask the node, run the checks.

``diagnose`` takes the CLI's option values; ``diagnose_samples`` is the notebook's front end,
where an empty value means the committed sample set (``data/samples``) and ``none`` leaves an
input out.
"""
from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from efklab.doctor.inputs import DEFAULT_SETTINGS, DoctorSettings
from efklab.doctor.registry import CHECKS, CheckSpec, DoctorReport, run_checks, select_checks
from efklab.errors import UsageError
from efklab.jobs.defaults import SAMPLES_DIR, SEED_CONFIG, config_path
from efklab.jobs.doctorfiles import read_inputs
from efklab.jobs.samples import container_logs


def diagnose(*, config: str | None = None, policy: str | None = None, logs: Sequence[str] = (),
             payloads: Sequence[str] = (), settings: DoctorSettings = DEFAULT_SETTINGS,
             opensearch_url: str | None = None, aws_region: str | None = None, ca_certs: str | None = None,
             no_verify_tls: bool = False, local: bool = False, checks: Sequence[CheckSpec] = CHECKS,
             max_lines: int | None = None) -> DoctorReport:
    """Run the checks on the given files; with a URL (or ``local``) also on the node's facts."""
    if not (config or policy or logs or payloads):
        raise UsageError("nothing to check: give --config, --policy, --logs and/or --payloads")
    inputs = read_inputs(config=config, policy=policy, logs=logs, payloads=payloads, settings=settings,
                         max_lines=max_lines)
    if opensearch_url or local:
        from efklab.adapters.opensearch import connection_from_env, make_client
        from efklab.jobs.nodefacts import read_node_facts

        url = opensearch_url
        if not url:
            from efklab.adapters.localnode.lifecycle import ensure_local_node

            url = ensure_local_node()
        conn = connection_from_env(url, aws_region=aws_region or None, ca_certs=ca_certs or None, verify_tls=not no_verify_tls)
        patterns = sorted({p for t in (inputs.policy.policy.ism_templates if inputs.policy and inputs.policy.policy else ())
                           for p in t.index_patterns})
        pattern = inputs.payloads.pattern if inputs.payloads else None
        facts = read_node_facts(make_client(conn), conn, template_patterns=patterns, strategy_pattern=pattern)
        inputs = replace(inputs, node=facts)
    return run_checks(inputs, checks)


def diagnose_samples(*, config: str = "", policy: str = "", logs: str = "", payloads: str = "", mode: str = "opensearch",
                     index_strategy: str = "seed", prefix: str = "mydata", opensearch_url: str = "", aws_region: str = "",
                     ca_certs: str = "", no_verify_tls: bool = False, only: str = "", skip: str = "") -> DoctorReport:
    """The notebook's call: empty values are the committed samples, ``none`` leaves an input out;
    ``config`` may be ``FILE@GITREV``; ``payloads`` a file, a folder or a glob; ``only``/``skip`` comma lists."""
    samples = SAMPLES_DIR
    chosen_config = None if config == "none" else config_path(config, SEED_CONFIG)
    chosen_policy = None if policy == "none" else policy or str(samples / "ism-policy.json")
    chosen_logs = [] if logs == "none" else container_logs(logs)
    chosen_payloads = [] if payloads == "none" else _payload_files(payloads or str(samples / "payloads"))
    settings = DoctorSettings(mode=mode, index_strategy=index_strategy, prefix=prefix)
    checks = select_checks(_names(only), _names(skip))
    return diagnose(config=chosen_config, policy=chosen_policy, logs=chosen_logs, payloads=chosen_payloads,
                    settings=settings, opensearch_url=opensearch_url or None, aws_region=aws_region or None,
                    ca_certs=ca_certs or None, no_verify_tls=no_verify_tls, checks=checks)


def _payload_files(spec: str) -> list[str]:
    path = Path(spec)
    if path.is_dir():
        found = sorted(str(p) for p in path.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz")))
    else:
        found = sorted(glob.glob(spec)) if any(c in spec for c in "*?[") else [spec]
    if not found:
        raise UsageError(f"no payload files in {spec}", source="payloads")
    return found


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]
