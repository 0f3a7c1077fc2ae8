#!/usr/bin/env bash
# Every benchmark in bench/ (bench_*.py), one after another, each bounded in time; prints
# their numbers. Benchmarks never assert; a crashed or timed-out one is reported at the end.
#   scripts/bench.sh [NAME...]       e.g. scripts/bench.sh slots booking
# BENCH_TIMEOUT (seconds per benchmark, default 600). Uses DATABASE_URL if set, else each
# benchmark starts its own throw-away embedded Postgres.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
limit="${BENCH_TIMEOUT:-600}"
if [ "$#" -gt 0 ]; then
    files=()
    for name in "$@"; do name="${name#bench_}"; files+=("bench/bench_${name%.py}.py"); done
else
    files=(bench/bench_*.py)
fi
failed=()
t0=$(date +%s)
echo "# make bench — $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) CPUs — load $(cut -d' ' -f1-3 /proc/loadavg)"
for file in "${files[@]}"; do
    echo
    echo "==> ${file} (timeout ${limit}s)"
    started=$(date +%s)
    timeout --kill-after=10 "${limit}" .venv/bin/python "${file}"
    rc=$?
    echo "    (${file}: exit ${rc}, $(( $(date +%s) - started )) s)"
    [ "${rc}" -eq 0 ] || failed+=("${file} (exit ${rc})")
done
echo
echo "==> benchmarks finished in $(( $(date +%s) - t0 )) s"
if [ "${#failed[@]}" -gt 0 ]; then
    printf 'failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
