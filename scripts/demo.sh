#!/usr/bin/env bash
# `make demo`: the main job end to end on the embedded default, a local OpenSearch node.
# Each step is one efklab command a user would run; the node is left running at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
efk=.venv/bin/efklab
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

AWS_REGEX='/^(date:){0,1}\d{4}[-/]\d{1,2}[-/]\d{1,2}/'
SEED_REGEX='/\((D|E|T|I)\)\s\d{2}[:]\d{2}[:]\d{2}\[\d{3}\]/'

step "1. the local OpenSearch node (first run fetches it with mvn, then it is cached)"
url=$($efk opensearch up)
echo "$url"

step "2. the seed Lambda's _bulk body for the sample payloads (first document)"
$efk transform --mode seed data/samples/payloads/*.jsonl.gz 2>/dev/null | head -n 2 | cut -c1-400

step "3. what the seed's regex fix did to the grouping of the sample container logs (the rest of the rule from its config)"
$efk multiline diff --config data/samples/fluentd.yaml --old "$AWS_REGEX" --new "$SEED_REGEX" \
  data/samples/containers/*.log || [ $? -eq 1 ]

step "4. replay the sample payloads into the node"
$efk replay data/samples/payloads/*.jsonl.gz

step "5. index layout: expected from the payloads vs what the node holds"
$efk layout --local data/samples/payloads/*.jsonl.gz | tail -n 12

step "6. retention: when the seed's ISM policy deletes each index (forecast as of 2021-05-15, mid-way through the data)"
$efk retention simulate --policy data/samples/ism-policy.json --at 2021-05-15 data/samples/payloads/*.jsonl.gz
step "6b. retention on the node: the replayed indices as its ISM sees them (observed) beside the forecast"
$efk retention simulate --policy data/samples/ism-policy.json --pattern 'mydata-*'

step "7. the notebooks as a report (papermill), with a verdict per check"
echo "two notebooks at a time; most of the time is the node creating the indices they replay into"
$efk report --out reports/demo
echo
echo "Report: file://$PWD/reports/demo/index.html"
$efk opensearch status
echo "The node keeps running: '$efk opensearch down' stops it."
