#!/bin/bash
# A sweep spread over a Slurm job array: task I of N runs shard I/N of the grid (every N-th
# point from I) on one node with all its cores, writing its own CSV; a last job, started when
# every task has ended, merges the shards into the CSV an unsharded sweep would have written
# (byte for byte). Re-submitting after a failure or a time-out resumes each shard where it
# stopped (--resume), so only unfinished points run again. docs/sweeps.md.
#
#   scripts/slurm-sweep.sh SCENARIO.yaml OUTDIR SHARDS --set batch=1,2,4,8 --set hardware=a,b ...
#
# submits the array (sbatch --array=0-(SHARDS-1)) and the merge job (afterany); OUTDIR holds
# shard-I.csv per task and sweep.csv at the end. LLMSIM (default: llmsim on PATH) and any
# SBATCH_* environment variables (partition, account, time) are passed through to sbatch.
set -euo pipefail

if [[ "${1:-}" == "--task" ]]; then  # inside one array task
  shift
  scenario=$1 outdir=$2 shards=$3
  shift 3
  resume=()
  [[ -e "$outdir/shard-$SLURM_ARRAY_TASK_ID.csv.sweep.json" ]] && resume=(--resume)
  exec "${LLMSIM:-llmsim}" sweep "$scenario" "$@" --shard "$SLURM_ARRAY_TASK_ID/$shards" \
    -j "${SLURM_CPUS_PER_TASK:-$(nproc)}" -o "$outdir/shard-$SLURM_ARRAY_TASK_ID.csv" "${resume[@]}"
fi
if [[ "${1:-}" == "--merge" ]]; then  # after every task
  shift
  outdir=$1 shards=$2
  files=()
  for ((i = 0; i < shards; i++)); do files+=("$outdir/shard-$i.csv"); done
  exec "${LLMSIM:-llmsim}" sweep-merge "$outdir/sweep.csv" "${files[@]}"
fi

if (($# < 3)); then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
scenario=$(realpath "$1") outdir=$(realpath -m "$2") shards=$3
shift 3
mkdir -p "$outdir"
self=$(realpath "$0")
array=$(sbatch --parsable --job-name=llmsim-sweep --array="0-$((shards - 1))" --nodes=1 --ntasks=1 \
  --cpus-per-task="${CPUS_PER_TASK:-16}" --output="$outdir/slurm-%A_%a.out" \
  --wrap="$(printf '%q ' "$self" --task "$scenario" "$outdir" "$shards" "$@")")
merge=$(sbatch --parsable --job-name=llmsim-sweep-merge --dependency="afterany:$array" --ntasks=1 \
  --output="$outdir/slurm-merge-%j.out" --wrap="$(printf '%q ' "$self" --merge "$outdir" "$shards")")
echo "submitted array job $array ($shards shards) and merge job $merge; results in $outdir/sweep.csv"
