#!/bin/sh
# Builds the libFuzzer harnesses of tests/fuzz/ (clang, ASan + UBSan) in build-asan and runs
# each for a bounded time on the committed campaign corpus (tests/fuzz/corpus, replayed whole)
# plus a corpus seeded from the shipped files (catalog, scenarios, model
# configs, profiles, public CSVs, test fixtures, tests/fuzz/seeds, the bad-input corpus and
# earlier crashes). A crash, a hang (> 10 s on one input) or > 2 GB of memory fails the run and
# leaves the input in build-asan/findings/<target>/: fix the parser, then copy the input to
# tests/fuzz/regressions/<target>/ so that the unit tests replay it.
#   FUZZ_SECONDS  seconds per harness (default 7)     FUZZ_TARGETS  which (default all)
#   JOBS          build parallelism (default 2)        SANITIZED_BUILD  build folder (default build-asan)
set -eu
cd "$(dirname "$0")/.."
build=${SANITIZED_BUILD:-build-asan}
seconds=${FUZZ_SECONDS:-7}
targets=${FUZZ_TARGETS:-"system_yaml scenario_yaml hf_config software_profile measurements public_csv request_trace chakra_et gguf corpus_csv sharegpt sweep_manifest"}

start=$(date +%s)
scripts/configure-sanitized.sh "$build"  # shared with scripts/sanitize.sh: built already after it
cmake --build "$build" -j"${JOBS:-2}" --target fuzz_harnesses
built=$(date +%s)

. scripts/fuzz-seeds.sh  # seeds(TARGET): the shipped files a harness starts from

summary="$build/fuzz-summary.txt"
printf '%-18s %10s %8s %8s %s\n' target runs exec/s corpus result > "$summary"
failed=0
for t in $targets; do
  corpus="$build/corpus/$t"
  findings="$build/findings/$t"
  mkdir -p "$corpus" "$findings"
  n=0
  # The committed campaign corpus (scripts/fuzz-campaign.sh) first: CI replays it whole.
  for f in tests/fuzz/corpus/"$t"/* $(seeds "$t") tests/fuzz/regressions/"$t"/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    cp "$f" "$corpus/seed-$n-$(basename "$f")"
  done
  log="$build/fuzz-$t.log"
  # ASan's leak check stays on; SimGrid is not linked into a parser's path. The harness writes
  # each input to a file under TMPDIR: keep those in the build folder.
  mkdir -p "$build/fuzz-tmp"
  if TMPDIR="$(pwd)/$build/fuzz-tmp" ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     "$build/tests/fuzz/fuzz_$t" "$corpus" -max_total_time="$seconds" -max_len=32768 -timeout=10 \
       -rss_limit_mb=2048 -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="FAILED: see $log and $findings/"
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-18s %10s %8s %8s %s\n' "$t" "${runs:-?}" "${rate:-?}" "$(ls "$corpus" | wc -l)" "$result" >> "$summary"
done
cat "$summary"
echo "fuzz: build $((built - start)) s, runs $(($(date +%s) - built)) s"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a harness found a problem; the crashing inputs are in $build/findings/" >&2
  for t in $targets; do grep -m3 -E "ERROR|SUMMARY|terminate called|what\(\)" "$build/fuzz-$t.log" 2>/dev/null | sed "s/^/$t: /" >&2 || true; done
  exit 1
fi
