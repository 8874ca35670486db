"""The regex review of notebook 02: the seed scenario from bare regexps and from configs."""
from __future__ import annotations

from efklab.jobs.defaults import SAMPLE_CONTAINERS
from efklab.jobs.multiline import review_regex

SEED = r"/\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]/"
AWS = r"/^(date:){0,1}\d{4}[-/]\d{1,2}[-/]\d{1,2}/"


def test_the_seed_scenario_from_bare_regexps_tells_the_story_of_the_configs() -> None:
    """`report -p old /aws/ -p new /seed/` takes the rest of the rule from the seed's config: nothing reads as lost."""
    from_configs = review_regex([str(SAMPLE_CONTAINERS)])
    from_regexps = review_regex([str(SAMPLE_CONTAINERS)], old=AWS, new=SEED)
    for side in ("old", "new"):
        configs, regexps = getattr(from_configs, side), getattr(from_regexps, side)
        assert (regexps.sizes, regexps.routes, regexps.lost_lines, regexps.lone_continuations) == (
            configs.sizes, configs.routes, configs.lost_lines, configs.lone_continuations)
    assert from_regexps.new.lost_lines == 0 and "timeout" in from_regexps.new.routes
    rule = from_regexps.report["regexp_rule"]
    assert rule["specs"] == ["--old", "--new"] and "fluentd.yaml:121" in rule["from"]
    assert rule["params"]["timeout_label"] == "@NORMAL" and rule["params"]["separator"] == ""


def test_the_first_clusters_of_the_review_are_stack_traces_the_new_rule_merges() -> None:
    """The clusters shown first are regroupings (several old events -> one new event), not re-timed single lines."""
    review = review_regex([str(SAMPLE_CONTAINERS)], old=AWS, new=SEED, examples=3)
    assert len(review.clusters) == 3
    for cluster in review.clusters:
        assert len(cluster["old"]) > 1 and len(cluster["new"]) == 1
        assert "\tat " in cluster["new"][0]["text"] or "Caused by" in cluster["new"][0]["text"]
