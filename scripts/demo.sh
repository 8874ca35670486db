#!/usr/bin/env bash
# `make demo`: the main job end to end on the embedded default (a local OpenSearch node).
set -euo pipefail
cd "$(dirname "$0")/.."
efk=.venv/bin/efklab
echo "== transform the committed sample payloads (seed mode, first lines)"
$efk transform --mode seed data/samples/payloads/*.jsonl.gz | head -n 4
