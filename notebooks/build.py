"""Write the notebooks of this folder from the cell lists below (outputs stripped, stable cell ids).

Run ``python notebooks/build.py`` after editing a notebook's cells here; ``--check`` exits 1
when a committed notebook differs from what this script writes (used by the tests).  Editing
in JupyterLab is fine too: copy the changed cells back here so the two stay one.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

IMPORTS = ("%matplotlib inline\nimport pandas as pd\n\n"
           "from efklab.jobs.connect import connect\n"
           "from efklab.jobs.defaults import SEED_CONFIG, config_path\n"
           "from efklab.jobs.pipeline import run_config\n"
           "from efklab.jobs.replay import release, replay_fresh\n"
           "from efklab.jobs.samples import container_logs\n"
           "from efklab.reports.verdicts import record_check\n\n"
           "pd.set_option(\"display.max_colwidth\", 160)")
# Notebooks 01-04 show tables through efklab.reports.present (numbers for people, "none" when empty).
REPORT_IMPORTS = IMPORTS + "\nfrom efklab.reports.present import table"

# A parameter's comment is its help text (papermill reads it from that line), so it stays on one line of the
# cell: a long one is continued here with a backslash at the end of the line, which the string leaves out.
CONNECTION = '''opensearch_url: str = ""  # OpenSearch URL; empty: the local node (started when needed). \
Basic auth only from the environment
aws_region: str = ""  # sign requests with SigV4 for Amazon OpenSearch Service (boto3 credential chain); \
empty: no signing
ca_certs: str = ""  # CA bundle to verify the endpoint's TLS certificate; empty: the system's
no_verify_tls: bool = False  # do not verify TLS certificates'''
SAMPLES = '''logs: str = ""  # container logs: a folder (*.log or containers/*.log) or one file; \
empty: data/samples, the committed sample set'''

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "00-doctor": [
        ("md", """# 00 · Doctor: what will go wrong with this pipeline before it ships?

One look at the fluentd config, the ISM policy, a sample of container logs and of subscription payloads
(and, given a URL, at the cluster): every known trap of the pipeline, each finding with its evidence from
your samples, why it matters in production and the fix.  The same checks as `efklab doctor`; by default the
committed sample set (the seed's corrected setup).  Set `config` to `data/samples/fluentd-aws-sample.yaml`
to see the seed's setup before its fix."""),
        ("parameters", '''config: str = ""  # fluentd config (file or FILE@GITREV); empty: data/samples/fluentd.yaml; \
none: leave it out
policy: str = ""  # ISM policy JSON; empty: data/samples/ism-policy.json; none: leave it out
logs: str = ""  # container logs: a folder (*.log or containers/*.log) or one file; empty: data/samples; \
none: leave them out
payloads: str = ""  # payloads: a file, a folder or a glob; empty: data/samples/payloads; \
none: emulate them from config + logs
mode: str = "opensearch"  # transform mode: opensearch, or seed (the seed Lambda's bulk actions, with _type)
index_strategy: str = "seed"  # index naming: seed, cwl, cwl-group or a template such as {prefix}-{date:%Y.%m.%d}
opensearch_url: str = ""  # read node facts (version, shard limit, ISM, existing indices) from this URL; empty: no node
aws_region: str = ""  # sign requests with SigV4 for Amazon OpenSearch Service (boto3 credential chain); \
empty: no signing
ca_certs: str = ""  # CA bundle to verify the endpoint's TLS certificate; empty: the system's
no_verify_tls: bool = False  # do not verify TLS certificates
only: str = ""  # run only these checks: comma-separated ids or prefixes (e.g. concat-,ordering-); empty: all
skip: str = ""  # do not run these checks: comma-separated ids or prefixes'''),
        ("code", "import pandas as pd\n\nfrom efklab.jobs.doctor import diagnose_samples\n"
                 "from efklab.reports.present import table\n"
                 "from efklab.reports.tables.doctor import checks_table, findings_cards, inputs_table\n"
                 "from efklab.reports.verdicts import record_check"),
        ("code", """report = diagnose_samples(config=config, policy=policy, logs=logs, payloads=payloads, mode=mode,
                          index_strategy=index_strategy, opensearch_url=opensearch_url, aws_region=aws_region,
                          ca_certs=ca_certs, no_verify_tls=no_verify_tls, only=only, skip=skip)
table(pd.Series(report.counts, name="findings").rename_axis("severity").to_frame())"""),
        ("md", "## What was read"),
        ("code", "table(inputs_table(report))"),
        ("md", "## Findings, errors first\n"
               "Each card: what was found, where to change it, the evidence from the samples, why it matters, the fix. "
               "Paths are relative to the checkout; container ids show their first 12 characters."),
        ("code", "findings_cards(report)"),
        ("md", "## Every check: clean, found something, or skipped (and which input it needs)"),
        ("code", "table(checks_table(report), empty=\"no check was asked for\")"),
        ("md", "## Verdicts"),
        ("code", "measured = \"forecast from the config, policy and samples\" + (\" and read from the node\" "
                 "if opensearch_url else \" (no node asked)\")\n"
                 "record_check(\"no error found\", report.counts[\"error\"] == 0, measured=measured, **report.counts)"),
    ],
    "01-replay": [
        ("md", """# 01 · Replay: does every log line reach OpenSearch?

Container log lines go through the seed's fluentd config (concat filter included), the CloudWatch Logs
emulation and the subscription Lambda's transform, and are replayed into the real node.  This notebook
shows where every line ended up: in a delivered event, in a reject with its reason, in an index, or in a
failed bulk item.  Change the parameters below and run all cells; `efklab report` runs it unattended."""),
        ("parameters", CONNECTION + "\n" + SAMPLES + '''
config: str = ""  # fluentd config (ConfigMap YAML or fluent.conf); empty: data/samples/fluentd.yaml, the seed's
prefix: str = "efklab-nb-replay"  # index prefix; its indices are replaced on every run
index_strategy: str = "{prefix}-{date:%Y.%m}"  # index naming: monthly indices keep the replay quick; \
seed for the seed's one index per namespace, container and day (notebook 04 checks that naming)
mode: str = "opensearch"  # transform mode: opensearch, or seed (the seed's bytes: _type, mydata-* names, \
so prefix mydata)
primaries: int = 1  # primary shards per index
keep_indices: bool = False  # keep the replayed indices on the node after the run (to explore them); \
default: delete them
lambda_source: str = ""  # your own Lambda function (folder or .js file), run under node on these payloads and \
compared with efklab's transform; empty: skip'''),
        ("code", REPORT_IMPORTS + "\nfrom efklab.jobs.layout import index_layout\n"
                 "from efklab.jobs.transform import transform_options\n"
                 "from efklab.jobs.userlambda import diff_function\n"
                 "from efklab.reports import plots_ordering as po\n"
                 "from efklab.reports.tables.replay import failed_indices_table, rejects_table, replay_totals\n"
                 "from efklab.reports.tables.userlambda import lambda_diff_table, lambda_summary"),
        ("md", "## The pipeline: container lines -> CloudWatch events\n"
               "Every source line lands in exactly one event or one reject."),
        ("code", "files = container_logs(logs)\n"
                 "run = run_config(files, config_path(config, SEED_CONFIG))\n"
                 "accounting = run.accounting()\n"
                 "table(pd.Series(accounting, name=\"count\").rename_axis(\"lines and events\").to_frame())"),
        ("code", "rejects = rejects_table(run)\n"
                 "print(f\"{len(rejects):,} lines made no event\"\n"
                 "      + (\"; the first 20:\" if len(rejects) > 20 else \"\"))\n"
                 "table(rejects.head(20), empty=\"none: every line is in an event\")"),
        ("code", "po.plot_group_sizes({\"this config\": po.group_sizes(run.provenance_rows())}, "
                 "title=\"Lines per event\")"),
        ("md", "## The replay: events -> documents in the node"),
        ("code", "target = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, "
                 "no_verify_tls=no_verify_tls)\n"
                 "pattern, summary = replay_fresh(target, run.payloads, prefix=prefix, primaries=primaries, "
                 "mode=mode,\n"
                 "                                index_strategy=index_strategy)\n"
                 "table(replay_totals(summary))"),
        ("code", "table(failed_indices_table(summary), empty=\"none: every bulk action was indexed\")"),
        ("md", "## The node against the expectation\n"
               "Indices and documents counted on the node (`_cat/indices` after a refresh) against those the payloads "
               "imply; notebook 04 lists them index by index."),
        ("code", "review = index_layout(run.payloads, prefix=prefix, mode=mode, index_strategy=index_strategy, "
                 "primaries=primaries,\n"
                 "                      pattern=pattern, target=target)\n"
                 "table(pd.Series(review.figures(), name=\"count\").rename_axis(\"node vs expectation\").to_frame())"),
        ("md", "## Your own Lambda function\n"
               "With `lambda_source` set, your function (not the seed's) runs under node on the same payloads, "
               "offline (its requests are captured, nothing is sent), and its `_bulk` bodies are compared with "
               "efklab's event by event; the efklab options that reproduce it are named, so the rest of this report "
               "models your pipeline (`efklab lambda diff` on the command line)."),
        ("code", "options = transform_options(mode=mode, index_strategy=index_strategy, prefix=prefix)\n"
                 "lambda_diff = diff_function(lambda_source, [], options, payloads=run.payloads) if lambda_source "
                 "else None\n"
                 "table(lambda_summary(lambda_diff)) if lambda_diff else print(\"no function given (lambda_source)\")"),
        ("code", "table(lambda_diff_table(lambda_diff), empty=\"none: every event identical\") if lambda_diff "
                 "else None"),
        ("md", "## Verdicts"),
        ("code", """record_check("every source line is in one event or one reject",
             accounting["lines"] == accounting["lines_in_events"] + accounting["lines_rejected"],
             measured="counted in the pipeline emulation (fluentd config, CloudWatch Logs)", **accounting)
record_check("every event was indexed",
             summary.failed == 0 and summary.rejected == 0 and summary.attempted == accounting["events"],
             measured="observed on the node: its _bulk answers, item by item",
             events=accounting["events"], attempted=summary.attempted, indexed=summary.indexed,
             failed=summary.failed, rejected=summary.rejected)
record_check("the node holds exactly the expected documents", review.diff is not None and review.diff.clean,
             measured="observed on the node: _cat/indices after a refresh, against the payloads' layout",
             **review.figures())
if lambda_diff is not None:
    record_check("your Lambda function writes what efklab's transform writes", not lambda_diff.differing,
                 measured=f"your function run under node on the pipeline's {len(lambda_diff.events):,} payloads",
                 identical=lambda_diff.identical, differing=len(lambda_diff.differing),
                 failed_invocations=len(lambda_diff.run.failed))"""),
        ("code", "release(target, [pattern], keep=keep_indices)"),
    ],
    "02-multiline-regression": [
        ("md", """# 02 · Multiline regression: what does a `multiline_start_regexp` change do to real lines?

Both rules group the same container logs exactly as fluent-plugin-concat would: a `/regexp/`, a config
file, or `FILE@GITREV` (the config as it was at a git revision), as `efklab multiline diff` takes them.
By default the old rule is the AWS sample regex `/^(date:){0,1}\\d{4}[-/]\\d{1,2}[-/]\\d{1,2}/` and the new
one the seed's `/\\((D|E|T|I)\\)\\s\\d{2}[:]\\d{2}[:]\\d{2}\\[\\d{3}\\]/`."""),
        ("parameters", SAMPLES + '''
old: str = ""  # the rule in production: /regexp/, config file or FILE@GITREV; \
empty: data/samples/fluentd-aws-sample.yaml
new: str = ""  # the candidate rule; empty: data/samples/fluentd.yaml (the seed's regex)
flush_timeouts: str = "event-time"  # emulate concat's flush_interval timer from event time, or "off"
examples: int = 3  # changed groups shown side by side'''),
        ("code", REPORT_IMPORTS + "\nfrom efklab.jobs.multiline import review_regex\n"
                 "from efklab.reports import plots_ordering as po\n"
                 "from efklab.reports.tables.multiline import changes_table, clusters_table, lone_examples_table, "
                 "summary_table"),
        ("code", "files = container_logs(logs)\n"
                 "review = review_regex(files, old=old, new=new, flush_timeouts=flush_timeouts, examples=examples)\n"
                 "table(summary_table(review))"),
        ("md", "## What changed\nLines regrouped, groups split or merged, and lines whose start-regexp match changed."),
        ("code", "table(changes_table(review))"),
        ("code", "po.plot_group_sizes(review.sizes(), title=\"Lines per event: old rule vs new rule\")"),
        ("md", "## The first changed groups, side by side"),
        ("code", "table(clusters_table(review), empty=\"none: both rules group every line alike\")"),
        ("md", "## Continuation lines indexed alone\n"
               "Under the AWS sample regex these are the seed's symptom: every stack-trace frame its own document. "
               "What the new rule still leaves alone belongs to apps whose first lines it does not match "
               "(look at them before you ship it)."),
        ("code", "table(lone_examples_table(review), empty=\"none under either rule\")"),
        ("md", "## Verdicts"),
        ("code", """measured = "forecast: the container logs grouped as fluent-plugin-concat would (no node)"
record_check("the new rule leaves fewer continuation lines alone",
             review.new.lone_continuations == 0 or review.new.lone_continuations < review.old.lone_continuations,
             measured=measured, old=review.old.lone_continuations, new=review.new.lone_continuations)
record_check("the new rule loses no line (@ERROR or dropped)", review.new.lost_lines == 0, measured=measured,
             old=review.old.lost_lines, new=review.new.lost_lines, routes_new=review.new.routes)
record_check("every line is in exactly one event under both rules",
             sum(review.old.sizes) == sum(review.new.sizes) == review.report["lines"], measured=measured,
             lines=review.report["lines"], old_events=len(review.old.sizes), new_events=len(review.new.sizes))"""),
    ],
    "03-ordering": [
        ("md", """# 03 · Ordering: why do stack-trace lines show up shuffled in Dashboards, and what fixes it?

The seed's symptom: in Kibana the lines of a log came out of order.  The AWS sample regex never matches
this app's `(T) 11:09:04[301] ...` lines, so every line (each stack-trace frame too) becomes its own
document, and the frames of one trace share one millisecond.  Discover sorts by `@timestamp` only, and
OpenSearch returns tied documents shard by shard, in indexing order: a newest-first list shows them in a
shuffled order.  Here the same container logs are replayed with the production config and with a
candidate, into indices with several primary shards (as Amazon domains had), and measured against the
truth: the order of the lines in each container log file."""),
        ("parameters", CONNECTION + "\n" + SAMPLES + '''
old: str = ""  # fluentd config in production (file or FILE@GITREV); \
empty: data/samples/fluentd-aws-sample.yaml (the AWS sample regex)
new: str = ""  # candidate fluentd config (file or FILE@GITREV); empty: data/samples/fluentd.yaml (the seed's regex)
prefix: str = "efklab-nb-ordering"  # index prefix: <prefix>-old-* and <prefix>-new-* are replaced on every run
index_strategy: str = "{prefix}-{date:%Y.%m}"  # index naming; monthly indices keep the replay quick \
(a node takes about 0.1 s to create each index) and do not change the order within a stream
primaries: int = 3  # primary shards per index (Amazon domains had several)
max_out_of_place: float = 0.0  # share of lines the recommended view may still show out of place
export_dashboards: str = ""  # write Dashboards saved objects (index pattern + sorted saved search) to this file; \
empty: none
keep_indices: bool = False  # keep the replayed indices on the node after the run (to explore them); \
default: delete them'''),
        ("code", REPORT_IMPORTS + "\nfrom efklab.jobs.ordering import tell_ordering_story\n"
                 "from efklab.reports import plots_ordering as po\n"
                 "from efklab.reports.tables.ordering import (\n"
                 "    before_after_table,\n"
                 "    causes_table,\n"
                 "    group_size_table,\n"
                 "    streams_table,\n"
                 "    views_table,\n"
                 ")"),
        ("code", "target = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, "
                 "no_verify_tls=no_verify_tls)\n"
                 "files = container_logs(logs)\n"
                 "story = tell_ordering_story(target, files, old=old, new=new, prefix=prefix, primaries=primaries,\n"
                 "                            index_strategy=index_strategy)\n"
                 "print(f\"{story.old.label}: {story.old.pattern}  |  {story.new.label}: {story.new.pattern}\")"),
        ("md", "## Grouping: lines per event under each config"),
        ("code", "table(group_size_table(story.group_sizes()))"),
        ("code", "po.plot_group_sizes(story.group_sizes())"),
        ("md", "## What each view shows\n"
               "Discover's default (`@timestamp` only) and with candidate tiebreakers, for both groupings."),
        ("code", "table(views_table(story.check))"),
        ("code", "po.plot_out_of_place(story.check)"),
        ("md", "## How far each line is shown from its place\n"
               "Every document of one stream (the most disordered one as Discover shows it), for the symptom, the "
               "regex fix alone and the recommended view: a stroke per document, as long as the number of places it "
               "is shown too late or too early.  In order, the line is flat at 0."),
        ("code", "po.plot_displacement([story.before, story.regrouped, story.after])"),
        ("md", "The ten most disordered streams of Discover's default view:"),
        ("code", "table(streams_table(story.before))"),
        ("md", "## Why"),
        ("code", "table(causes_table(story.check), empty=\"none: Discover's view shows every line in place\")"),
        ("md", "## The fix, in measured numbers"),
        ("code", "print(f\"recommended fix: {story.check.recommendation.fix}\")\n"
                 "print(\"\\n\".join(story.check.recommendation.steps))\n"
                 "table(before_after_table(story.check.recommendation))"),
        ("code", "story.export_dashboards(export_dashboards)"),
        ("md", "## Verdicts"),
        ("code", """before, after = story.before.measurement.totals, story.after.measurement.totals
measured = "observed on the node: documents read back in the order Discover sorts them, against the log files"
record_check("both groupings replayed completely",
             story.old.summary.failed + story.new.summary.failed
             + story.old.summary.rejected + story.new.summary.rejected == 0,
             measured="observed on the node: its _bulk answers, item by item",
             old_indexed=story.old.summary.indexed, new_indexed=story.new.summary.indexed)
record_check("disorder in Discover's default view is explained",
             before["share_out_of_place"] == 0 or len(story.check.causes) > 0, measured=measured,
             share_out_of_place=before["share_out_of_place"], inversions=before["inversions"],
             causes=story.check.cause_codes())
record_check("the recommended view shows the lines in order", after["share_out_of_place"] <= max_out_of_place,
             measured=measured, fix=story.check.recommendation.fix, share_before=before["share_out_of_place"],
             share_after=after["share_out_of_place"], max_share_out_of_place=max_out_of_place)"""),
        ("code", "release(target, [story.old.pattern, story.new.pattern], keep=keep_indices)"),
    ],
    "04-index-layout": [
        ("md", """# 04 · Index layout: which indices does the Lambda create, and will OpenSearch take every document?

The expected indices (names, documents, days, namespaces) follow from the payloads and the index naming;
names OpenSearch refuses and documents it will refuse (mapping conflicts) are predicted before anything is
sent; after a replay the node's `_cat/indices` is compared with the expectation.  The shard projection
shows whether the naming strategy fits the cluster's shard limit over the retention period."""),
        ("parameters", CONNECTION + "\n" + SAMPLES + '''
config: str = ""  # fluentd config; empty: data/samples/fluentd.yaml, the seed's
prefix: str = "efklab-nb-layout"  # index prefix; its indices are replaced on every run
mode: str = "opensearch"  # transform mode: opensearch or seed
index_strategy: str = "seed"  # seed (<prefix>-<namespace>-<container>-<day>) or a template starting with {prefix}, \
e.g. {prefix}-{date:%Y.%m.%d}
primaries: int = 1  # primary shards per index
replicas: int = 1  # replicas per primary (in the shard projection)
data_nodes: int = 1  # data nodes of the cluster (in the shard projection)
retention_days: float = 30.0  # days an index lives (in the shard projection)
max_shards_per_node: int = 1000  # cluster.max_shards_per_node
keep_indices: bool = False  # keep the replayed indices on the node after the run (to explore them); \
default: delete them'''),
        ("code", REPORT_IMPORTS + "\nfrom efklab.jobs.layout import index_layout\n"
                 "from efklab.reports.plots_layout import plot_doc_heatmap\n"
                 "from efklab.reports.tables.layout import (\n"
                 "    differences_table,\n"
                 "    doc_counts_table,\n"
                 "    index_groups_table,\n"
                 "    invalid_names_table,\n"
                 "    shards_table,\n"
                 ")"),
        ("code", "files = container_logs(logs)\n"
                 "run = run_config(files, config_path(config, SEED_CONFIG))\n"
                 "target = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, "
                 "no_verify_tls=no_verify_tls)\n"
                 "pattern, summary = replay_fresh(target, run.payloads, prefix=prefix, primaries=primaries,\n"
                 "                                mode=mode, index_strategy=index_strategy)\n"
                 "review = index_layout(run.payloads, prefix=prefix, mode=mode, index_strategy=index_strategy, "
                 "primaries=primaries,\n"
                 "                      replicas=replicas, data_nodes=data_nodes, retention_days=retention_days,\n"
                 "                      max_shards_per_node=max_shards_per_node, pattern=pattern, target=target)\n"
                 "print(f\"{len(review.expected.indices):,} indices expected from the payloads, \"\n"
                 "      \"grouped by namespace and container (indices_table(review) lists every one):\")\n"
                 "table(index_groups_table(review), empty=\"none: the payloads hold no document\")"),
        ("md", "## Where the node differs from the expectation"),
        ("code", "table(differences_table(review),\n"
                 "      empty=\"none: the node holds every expected index with its expected documents\")"),
        ("md", "## Documents per day and namespace"),
        ("code", "plot_doc_heatmap(doc_counts_table(review))"),
        ("md", "## Names OpenSearch refuses"),
        ("code", "table(invalid_names_table(review), empty=\"none: OpenSearch accepts every index name\")"),
        ("md", "## Shards at steady state, this strategy and the others\n"
               "A forecast: each strategy names the same events, its busiest day's indices are kept for the "
               "retention period, times primaries and replicas, against `cluster.max_shards_per_node` x data nodes."),
        ("code", "table(shards_table(review))"),
        ("md", "## Verdicts"),
        ("code", """figures = review.figures()
record_check("every index name is valid", figures["invalid_names"] == 0,
             measured="forecast from the payloads (the Lambda's naming, OpenSearch's rules)",
             indices=figures["indices"], invalid_names=figures["invalid_names"])
record_check("no document is refused by a mapping conflict", figures["refused"] == 0,
             measured="forecast from the payloads (predicted dynamic mappings)", refused=figures["refused"])
record_check("the node matches the expected layout", review.diff is not None and review.diff.clean,
             measured="observed on the node: _cat/indices after a refresh", **figures)
record_check("the strategy fits the shard limit", shards_table(review).loc["this strategy", "fits"],
             measured=f"forecast at steady state ({review.retention_days:g} days retention)",
             **shards_table(review).loc["this strategy"].to_dict())"""),
        ("code", "release(target, [pattern], keep=keep_indices)"),
    ],
    "05-retention": [
        ("md", """# 05 · Retention: when does ISM delete each index, and does the node do it?

Two sources, never mixed up.  **Forecast**: the seed's policy moves indices from `hot` to `delete` at
`min_index_age` 30d; ISM measures age from `index.creation_date`, runs every `job_interval` minutes plus
jitter and needs several runs per step, and a daily index it deleted is created again by any late event for
that day.  The simulator forecasts every index generation from when its documents arrive (no plugin needed).
**Observed on the node**: the local node runs the real ISM plugin; its `explain` API says which indices are
managed and where each stands, and the plugin's own history says what it deleted and when.  With `scale`
set (`1d=3s`: 30d becomes 90 s) a time-scaled copy of the policy runs on the node and every deletion is put
beside its forecast window (about 4-7 minutes).  A rehearsal cannot back-date anything:
OpenSearch refuses `index.creation_date` at creation, so the 30-day calendar view is the forecast's."""),
        ("parameters", CONNECTION + "\n" + SAMPLES + '''
config: str = ""  # fluentd config; empty: data/samples/fluentd.yaml, the seed's
policy: str = ""  # ISM policy JSON; empty: data/samples/ism-policy.json (the seed's delete_policy)
at: str = ""  # moment to read the forecast at (ISO 8601, epoch ms, now or an age); empty: the last arrival
job_interval: int = 5  # ISM job interval in minutes of the forecast (plugins.index_state_management.job_interval)
jitter: float = 0.6  # ISM job jitter of the forecast (0..1)
prefix: str = "mydata"  # index prefix (the ISM template matches mydata-*)
pattern: str = ""  # the node's indices to observe; empty: <prefix>-*
scale: str = ""  # also rehearse a time-scaled copy of the policy on the node, as `efklab retention rehearse \
--scale` takes it (minutes of wall time); empty: no rehearsal'''),
        ("code", IMPORTS + "\nfrom efklab.jobs.rehearsal import rehearse as run_rehearsal\n"
                 "from efklab.jobs.retention import simulate\n"
                 "from efklab.reports.plots_retention import plot_retention_timeline\n"
                 "from efklab.reports.tables.retention import (deleted_table, generations_table, node_table, "
                 "rehearsal_table,\n"
                 "                                            totals_table, traps_table)"),
        ("md", "## Forecast from the payloads"),
        ("code", "files = container_logs(logs)\n"
                 "run = run_config(files, config_path(config, SEED_CONFIG))\n"
                 "review = simulate(run.payloads, policy=policy, at=at, job_interval=job_interval, jitter=jitter, "
                 "prefix=prefix,\n"
                 "                  at_last_arrival=True)\n"
                 "print(review.source)\n"
                 "totals_table(review)"),
        ("code", "plot_retention_timeline(review.generations, at=review.at)"),
        ("code", "generations_table(review)"),
        ("md", "### Traps (forecast), one row per kind"),
        ("code", "traps = traps_table(review)\n"
                 "traps if len(traps) else print(\"no traps in the forecast\")"),
        ("md", "## Observed on the node"),
        ("code", "node_pattern = pattern or f\"{prefix}-*\"\n"
                 "node = simulate(policy=policy, pattern=node_pattern, opensearch_url=opensearch_url, "
                 "aws_region=aws_region,\n"
                 "                ca_certs=ca_certs, no_verify_tls=no_verify_tls)\n"
                 "print(node.node_line(node_pattern))\n"
                 "node_table(node)"),
        ("code", "node_traps = traps_table(node)\n"
                 "node_traps if len(node_traps) else print(\"no traps among the node's indices\")"),
        ("md", "### What ISM deleted, by its own history (observed on the node)"),
        ("code", "deleted = deleted_table(node)\n"
                 "deleted if len(deleted) else print(f\"ISM history records no deletion of {node_pattern}\")"),
        ("md", "### Rehearsal: a time-scaled copy of the policy run by the plugin, beside the forecast"),
        ("code", "rehearsal = run_rehearsal(run.payloads, policy=policy, scale=scale, opensearch_url=opensearch_url,\n"
                 "                          aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls) "
                 "if scale else None\n"
                 "rehearsal_table(rehearsal) if rehearsal else print(\"no rehearsal (scale is empty)\")"),
        ("md", "## Verdicts"),
        ("code", """totals = review.summary()["totals"]
record_check("indices past the retention period are deleted", not review.overdue(), measured="forecast",
             overdue=review.overdue(), gone=totals["gone"]["indices"], kept=totals["kept"]["indices"])
record_check("every index is managed by the policy", not review.unmanaged(), measured="forecast",
             unmanaged=review.unmanaged(), indices=len(review.generations), traps=len(review.findings))
record_check("the node runs the ISM plugin", bool(node.ism_on_node), measured=f"observed on the node ({node.node_url})")
record_check("ISM on the node acts as forecast: no failed step, no index outlives its window",
             not node.failed() and not node.outlived(), measured=f"observed on the node ({node.node_url})",
             **node.node_figures())
if rehearsal is not None:
    record_check("every rehearsed deletion falls in its forecast window", rehearsal.agrees,
                 measured=f"observed on the node ({rehearsal.url}), time-scaled {rehearsal.scale}",
                 **rehearsal.figures())"""),
    ],
    "06-upgrade": [
        ("md", """# 06 · Upgrade: will the pipeline survive the move to another engine version?

Amazon ES domains ran Elasticsearch 7.10; Amazon OpenSearch Service runs OpenSearch 1.3, 2.x and 3.x.  The
same Lambda body does not mean the same thing on each: 7.10 and 1.3 accept the seed's `_type` (one type per
index), 2.x and 3.x refuse the whole request.  This notebook replays the same payloads through the same
transform into a real local node of each version (started when needed: `efklab opensearch up --version V`),
applies the same index template and retention policy (real ISM where the plugin is installed), runs the
layout and ordering checks, and says what to change before upgrading.  The same as `efklab compat`.
By default the corrected Lambda (`mode` opensearch); set `mode` to `seed` to see the seed's bodies break."""),
        ("parameters", '''current: str = "1.3.20"  # version in use (compat --from): 2.19.4, 1.3.20, 3.1.0, es-7.10.2
target: str = "2.19.4"  # the version to upgrade to (efklab compat --to)
mode: str = "opensearch"  # transform mode: opensearch (the corrected Lambda), or seed (its bodies with _type)
payloads: str = ""  # payload files or a folder; empty: data/samples/payloads, the committed samples
template: str = "auto"  # index template on both: auto, replay, none or a JSON file
from_url: str = ""  # an existing node of the current version; empty: the local one (started when needed)
to_url: str = ""  # an existing node of the target version; empty: the local one (started when needed)
keep_indices: bool = False  # keep the replayed indices on each node to explore them'''),
        ("code", "import pandas as pd\n\n"
                 "from efklab.jobs.compat import run_compat\n"
                 "from efklab.reports.tables.upgrade import changes_table, versions_table\n"
                 "from efklab.reports.verdicts import record_check\n\n"
                 "pd.set_option(\"display.max_colwidth\", 200)"),
        ("code", "report = run_compat([payloads] if payloads else [], current=current, target=target, "
                 "mode=mode,\n"
                 "                    template=template, current_url=from_url or None, target_url=to_url or None,\n"
                 "                    keep=keep_indices, say=print)"),
        ("md", "## Per version: accepted, refused (the node's reason), template, retention, sorting"),
        ("code", "versions_table(report)"),
        ("md", "## What to change before upgrading"),
        ("code", "changes = changes_table(report)\n"
                 "changes if len(changes) else print(f\"{target} does what {current} does on these payloads\")"),
        ("md", "## Verdicts"),
        ("code", """old, new = report.outcomes
record_check(f"{new.engine.label} accepts every document {old.engine.label} accepts", new.indexed >= old.indexed,
             measured=f"observed on the nodes ({old.url}, {new.url})", accepted_before=old.indexed,
             accepted_after=new.indexed, refused_after=sum(new.refused.values()))
record_check(f"nothing that works on {old.engine.label} breaks on {new.engine.label}", not report.breaks,
             measured=f"observed on the nodes ({old.url}, {new.url})", breaks=len(report.breaks),
             differences=len(report.differences))"""),
    ],
}


# Notebooks `efklab report` runs only when named with --only: why they are left out of the default report.
OPT_IN = {
    "06-upgrade": "starts a second node (OpenSearch 1.3.20) and replays into both, several minutes",
}


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """The notebook for one cell list: stable ids, no outputs, the python3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }
    if name in OPT_IN:
        nb.metadata["efklab"] = {"opt_in": OPT_IN[name]}
    for number, (kind, source) in enumerate(cells):
        ident = f"{name.split('-')[0]}-{number:02d}"
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(source, id=ident)
        else:
            cell = nbformat.v4.new_code_cell(source, id=ident)
            if kind == "parameters":
                cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    return nb


def main(argv: list[str]) -> int:
    """Write every notebook, or with ``--check`` report the ones that differ."""
    stale = []
    for name, cells in NOTEBOOKS.items():
        text = nbformat.writes(build(name, cells)) + "\n"
        path = HERE / f"{name}.ipynb"
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python notebooks/build.py): " + ", ".join(stale), file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
