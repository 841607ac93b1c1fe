#!/bin/bash
# A long fuzz campaign, run while developing (CI only replays what it leaves behind):
# each harness runs for at least RUNS executions (default 1,000,000) from the committed corpus
# tests/fuzz/corpus/<target> plus the shipped seeds; the inputs that add coverage are merged
# back into tests/fuzz/corpus/<target> (inputs of at most MAX_LEN bytes, so the corpus stays
# small), and one line per harness is appended to tests/fuzz/campaigns.txt with the commit,
# the executions, the rate, the corpus size and the result. Commit both afterwards.
#   RUNS     executions per harness (default 1000000)     TARGETS  which (default all)
#   PARALLEL harnesses at once (default 2)                 MAX_LEN  bytes per input (default 4096)
# A crash or hang stops that harness, leaves the input in build-asan/findings/<target>/ and
# is recorded as FAILED; fix the parser and copy the input to tests/fuzz/regressions/<target>/.
set -eu
cd "$(dirname "$0")/.."
build=${SANITIZED_BUILD:-build-asan}
runs=${RUNS:-1000000}
max_len=${MAX_LEN:-4096}
parallel=${PARALLEL:-2}
targets=${TARGETS:-"system_yaml scenario_yaml hf_config software_profile measurements public_csv request_trace chakra_et gguf corpus_csv sharegpt sweep_manifest"}
record=tests/fuzz/campaigns.txt
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- common hwmodels workloads sim validate 2>/dev/null)" ] || commit="$commit+changes"

scripts/configure-sanitized.sh "$build"
cmake --build "$build" -j"${JOBS:-2}" --target fuzz_harnesses
. scripts/fuzz-seeds.sh

campaign() {
  t=$1
  work="$build/campaign/$t"
  kept="tests/fuzz/corpus/$t"
  findings="$build/findings/$t"
  rm -rf "$work"
  mkdir -p "$work" "$kept" "$findings" "$build/fuzz-tmp/$t"
  n=0
  for f in "$kept"/* $(seeds "$t") tests/fuzz/regressions/"$t"/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    cp "$f" "$work/seed-$n-$(basename "$f")"
  done
  log="$build/campaign-$t.log"
  began=$(date +%s)
  if TMPDIR="$(pwd)/$build/fuzz-tmp/$t" ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     "$build/tests/fuzz/fuzz_$t" "$work" -runs="$runs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
  fi
  seconds=$(($(date +%s) - began))
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # Keep what adds coverage, small inputs only (the shipped seeds are in the repository already).
  find "$work" -type f -size +"$max_len"c -delete
  rm -f "$work"/seed-*
  "$build/tests/fuzz/fuzz_$t" -merge=1 "$kept" "$work" >"$build/campaign-$t-merge.log" 2>&1 || true
  printf '%s %-8s %-18s %10s %7s %6s s %5s %s\n' "$(date -u +%Y-%m-%d)" "$commit" "$t" "${executed:-?}" \
    "${rate:-?}/s" "$seconds" "$(ls "$kept" | wc -l)" "$result" >> "$record"
  echo "campaign $t: ${executed:-?} executions in $seconds s, $result"
}

[ -f "$record" ] || printf '# date     commit   target             executions    rate   time  corpus result\n' > "$record"
running=0
for t in $targets; do
  campaign "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
this_run=$(tail -n "$(echo $targets | wc -w)" "$record")
echo "$this_run"
if echo "$this_run" | grep -q FAILED; then exit 1; fi
