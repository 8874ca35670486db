#!/usr/bin/env bash
# CI step for a change to the fluentd config: efklab doctor, efklab test, efklab multiline diff against the
# base revision, and the efklab report HTML, all on the committed sample logs.  Usable in any CI system:
# run it from the repository root after checkout (with the base revision fetched), then publish $OUT.
#
# Settings (environment variables; defaults in brackets):
#   CONFIG     the fluentd config under review                          [fluentd.yaml]
#   BASE       git revision to compare with (a PR's target branch)        [origin/main, else HEAD~1]
#   LOGS       committed sample container logs (a folder or files)        [data/samples/containers]
#   POLICY     ISM policy JSON, optional                                  [none]
#   PAYLOADS   captured payload files, optional (emulated when empty)     [none]
#   CASES      declarative test case files (globs allowed), optional      [none]
#   FILTER     the concat filter to diff (@id, label or number) when routing cannot tell [none]
#   OUT        folder to publish as the CI artefact                       [efklab-report]
#   REPORT     notebooks efklab report runs (none needs an OpenSearch node) [00-doctor 02-multiline-regression]
#   FORCE      1: run even when CONFIG did not change since BASE           [0]
#   EFKLAB     the efklab command                                          [efklab]
#
# Exit status: 0 all passed; 1 doctor found an error, a test case failed or a report check failed;
# 2 a step could not run (bad input).  A grouping difference alone does not fail the step: it is the
# change under review, shown in $OUT/multiline-diff.txt and in the report.
set -uo pipefail

CONFIG=${CONFIG:-fluentd.yaml}
LOGS=${LOGS:-data/samples/containers}
OUT=${OUT:-efklab-report}
REPORT=${REPORT:-00-doctor 02-multiline-regression}
EFKLAB=${EFKLAB:-efklab}
if [ -z "${BASE:-}" ]; then
  if git rev-parse --verify -q origin/main >/dev/null; then BASE=origin/main; else BASE=HEAD~1; fi
fi

if ! git rev-parse --verify -q "$BASE^{commit}" >/dev/null; then
  echo "ci-fluentd-check: base revision $BASE not found (fetch it, or set BASE)" >&2
  exit 2
fi
if [ "${FORCE:-0}" != 1 ] && git diff --quiet "$BASE" -- "$CONFIG"; then
  echo "ci-fluentd-check: $CONFIG unchanged since $BASE; nothing to check"
  exit 0
fi
if ! git cat-file -e "$BASE:./$CONFIG" 2>/dev/null; then
  echo "ci-fluentd-check: $CONFIG does not exist at $BASE; the diff compares it with itself" >&2
  OLD="$CONFIG"
else
  OLD="$CONFIG@$BASE"
fi

# the log files themselves (a folder stands for its *.log; a sample-set folder for containers/*.log)
files=()
for item in $LOGS; do
  if [ -d "$item/containers" ]; then item="$item/containers"; fi
  if [ -d "$item" ]; then files+=("$item"/*.log); else files+=("$item"); fi
done

mkdir -p "$OUT"
status=0
note() { [ "$1" -gt "$status" ] && status=$1; }
summary=()

# 1. doctor: every known trap, on the config, the sample logs, the policy and payloads when given
doctor=(--config "$CONFIG" --logs "${files[@]}")
[ -n "${POLICY:-}" ] && doctor+=(--policy "$POLICY")
[ -n "${PAYLOADS:-}" ] && doctor+=(--payloads $PAYLOADS)
"$EFKLAB" doctor "${doctor[@]}" --json >"$OUT/doctor.json"
rc=$?
"$EFKLAB" doctor "${doctor[@]}" | tee "$OUT/doctor.txt"
note $rc; summary+=("doctor: exit $rc")

# 2. declarative test cases
if [ -n "${CASES:-}" ]; then
  # shellcheck disable=SC2086  # CASES holds globs
  "$EFKLAB" test $CASES | tee "$OUT/test.txt"
  rc=$?
  note $rc; summary+=("test: exit $rc")
fi

# 3. how the change regroups the sample lines (1 = differs: reported, not a failure)
diff=(--old "$OLD" --new "$CONFIG")
[ -n "${FILTER:-}" ] && diff+=(--filter "$FILTER")
"$EFKLAB" multiline diff "${diff[@]}" "${files[@]}" | tee "$OUT/multiline-diff.txt"
rc=$?
[ "$rc" -ge 2 ] && note 2
summary+=("multiline diff: exit $rc ($([ "$rc" = 0 ] && echo identical || echo "grouping changed"))")

# 4. the report: HTML per notebook, index.html and summary.json in $OUT
report=(-p logs "$LOGS")
case " $REPORT " in
  *doctor*|*" 0 "*|*" 00 "*) report+=(-p config "$CONFIG" -p policy "${POLICY:-none}" -p payloads "${PAYLOADS:-none}") ;;
esac
case " $REPORT " in
  *multiline*|*" 2 "*|*" 02 "*) report+=(-p old "$OLD" -p new "$CONFIG") ;;
esac
# shellcheck disable=SC2086  # REPORT is a list of notebook names
"$EFKLAB" report --out "$OUT" --only $REPORT "${report[@]}"
rc=$?
note $rc; summary+=("report: exit $rc ($OUT/index.html)")

echo
printf 'ci-fluentd-check: %s\n' "${summary[@]}"
exit $status
