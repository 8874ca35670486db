"""ISM scenarios on the real node that take minutes of the plugin's time, started early and judged at the end.

``tests/integration/conftest.py`` starts :class:`RetentionScenarios` when the first integration
test runs; a background thread polls the node while the rest of the suite runs, and
``test_retention_rehearsal.py`` (ordered last) joins it and asserts.  Two scenarios:

* the **rehearsal** (``efklab retention rehearse``'s job): a time-scaled copy of the seed's
  policy on indices of the committed samples, one created before the PUT, a late event after
  the first deletion; the simulator's forecast is judged against what the node did;
* **apply / --add** (``efklab retention apply``'s CLI): a time-scaled copy of the seed's policy
  applied with ``--job-interval 1 --jitter 0``; an index created before it is not attached until
  ``--add``, one created after it is; ISM must delete both, and ``explain`` must have shown
  each step on the way.

Nothing here asserts elapsed time: the polls record ISM states and the two polls around each
deletion; the deadline only stops a scenario that never finishes.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

from efklab.adapters.ism import IsmApi, explain_rows, read_index_facts
from efklab.adapters.opensearch import delete_indices
from efklab.jobs.rehearsal import Rehearsal, RehearsalReport, start_rehearsal
from efklab.retention.explain import read_explain
from efklab.retention.rehearsal import ARRIVAL, BEFORE_PUT, Watch
from efklab.retention.scaling import DEFAULT_SCALE, scale_policy
from tests.conftest import ROOT

SEED_POLICY = ROOT / "data" / "samples" / "ism-policy.json"
DEADLINE_S = 15 * 60


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "efklab", *args], capture_output=True, text=True, timeout=600)


class ApplyScenario:
    """``retention apply`` of a scaled seed policy: OLD (before the PUT, then --add) and NEW (after the PUT)."""

    def __init__(self, url: str, client: Any, conn: Any, folder: Path) -> None:
        run = uuid.uuid4().hex[:8]
        self.url, self.client, self.conn = url, client, conn
        self.prefix = f"mydata-efklabapply{run}-"
        self.old, self.new = f"{self.prefix}old-2021.06.01", f"{self.prefix}new-2021.06.02"
        self.policy_id = f"delete_policy_scaled_{run}"
        body = scale_policy(json.loads(SEED_POLICY.read_text()), DEFAULT_SCALE, index_patterns=[f"{self.prefix}*"])
        self.policy_file = folder / "seed-scaled.json"
        self.policy_file.write_text(json.dumps(body))
        self.watch = Watch({self.old: BEFORE_PUT, self.new: ARRIVAL})
        self.outputs: dict[str, subprocess.CompletedProcess[str]] = {}
        self.managed_before_add: dict[str, bool] = {}

    def start(self) -> None:
        """OLD, then the PUT through the CLI, then NEW; --add OLD once NEW is seen attached."""
        self.client.indices.create(index=self.old)
        self.outputs["apply"] = cli("retention", "apply", "--policy", str(self.policy_file), "--policy-id",
                                    self.policy_id, "--job-interval", "1", "--jitter", "0",
                                    "--opensearch-url", self.url)
        self.client.index(index=self.new, body={"log": "first event of the day"}, refresh=True)
        give_up = time.monotonic() + 120
        while time.monotonic() < give_up:
            self.tick()
            rows = {r.index: r for r in self._explain()}
            if rows.get(self.new) is not None and rows[self.new].managed:
                self.managed_before_add = {name: row.managed for name, row in rows.items()}
                break
            time.sleep(1)
        self.outputs["explain_before_add"] = cli("retention", "explain", f"{self.prefix}*", "--opensearch-url",
                                                 self.url)
        self.outputs["add"] = cli("retention", "apply", "--policy", str(self.policy_file), "--policy-id",
                                  self.policy_id, "--add", self.old, "--opensearch-url", self.url)

    def _explain(self) -> list[Any]:
        return read_explain(explain_rows(IsmApi(self.client, self.conn), f"{self.prefix}*"))

    def tick(self) -> None:
        facts = read_index_facts(self.client, self.conn, f"{self.prefix}*")
        explained = {r.index: r for r in self._explain()}
        self.watch.observe(int(time.time() * 1000), {f.name: f.creation_date for f in facts}, explained)
        lives = self.watch.lives.get(self.new, [])
        if "explain_initialised" not in self.outputs and lives and lives[-1].steps:
            self.outputs["explain_initialised"] = cli("retention", "explain", self.new, "--opensearch-url", self.url)

    @property
    def done(self) -> bool:
        lives = self.watch.all_lives()
        return len(lives) == 2 and all(life.deleted for life in lives)

    def clean_up(self) -> None:
        delete_indices(self.client, self.conn, f"{self.prefix}*")
        IsmApi(self.client, self.conn).delete_policy(self.policy_id)


class RetentionScenarios:
    """Both scenarios, polled by one background thread until done or the deadline."""

    def __init__(self, url: str, client: Any, conn: Any, folder: Path) -> None:
        self.url, self.client, self.conn = url, client, conn
        self.apply = ApplyScenario(url, client, conn, folder)
        self.rehearsal: Rehearsal | None = None
        self.report: RehearsalReport | None = None
        self.error: str | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ism-scenarios", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            self.rehearsal = start_rehearsal(policy=str(SEED_POLICY), indices=3, opensearch_url=self.url)
            self.apply.start()
            give_up = time.monotonic() + DEADLINE_S
            while time.monotonic() < give_up and not self.stop.is_set():
                self.rehearsal.tick()
                self.apply.tick()
                self.report = self.rehearsal.report()
                if self.report.complete and self.apply.done:
                    return
                self.stop.wait(2)
        except Exception:  # the test at the end reports it with the traceback
            self.error = traceback.format_exc()

    def join(self) -> None:
        self.thread.join(timeout=DEADLINE_S + 120)

    def clean_up(self) -> None:
        """Stop polling (a session that never judged them, e.g. another xdist worker) and remove what was made."""
        self.stop.set()
        self.thread.join(timeout=60)
        if self.rehearsal is not None:
            self.rehearsal.clean_up()
        self.apply.clean_up()
