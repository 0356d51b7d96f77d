#!/usr/bin/env bash
# The committed real-model runs of docs/results/office-facts-*: SmolLM2-135M-Instruct on the CPU,
# one llama.cpp thread (measured faster than two on the shared 2-core machine: docs/BENCHMARKS.md).
#
#   bash benchmarks/run_office_facts.sh            # from the repository root; resumable, rerun to finish
#
# Steps, in order of importance (each its own out folder, so each summary covers one design):
#   main      none, oracle, all, routed at N = 1..64, gold in the middle, the 48 gold tasks
#   positions all, routed at N = 16 with the gold skill at start, middle and end
#   control   the same at N = 4 and 16 on office-facts-random (random instead of look-alike distractors)
#   no-skill  none, all, routed on the 12 tasks that need no skill, N = 1, 16, 64
#   catalog   names and descriptions only, plain-text LOAD protocol, N = 1, 4, 16, 64
# A later step starts from a copy of the main step's reply cache: a request already answered there
# (the same system text, task and limits) is not sent again; trials say so with cache_hit.
set -euo pipefail
SKILLPACK=${SKILLPACK:-skillpack}
RESULTS=${RESULTS:-docs/results}
DATA=skillpack/harness/data
COMMON=(--backend local --threads 1 --max-tokens 32 --no-progress)
MAIN=$RESULTS/office-facts-smollm2-135m

seed_cache() {  # seed_cache FOLDER: start FOLDER's reply cache from the main run's
  mkdir -p "$1/cache"
  cp -rn "$MAIN/cache/." "$1/cache/" 2>/dev/null || true
}

step() { echo "== $(date -u +%H:%M:%S) $*"; }

step main
"$SKILLPACK" bench "$DATA/office-facts.json" "${COMMON[@]}" --strategies none,oracle,all,routed \
  --sizes 1,2,4,8,16,32,64 --positions middle --limit 48 --out "$MAIN"

step positions
seed_cache "$RESULTS/office-facts-positions-smollm2-135m"
"$SKILLPACK" bench "$DATA/office-facts.json" "${COMMON[@]}" --strategies all,routed \
  --sizes 16 --positions start,middle,end --limit 48 --out "$RESULTS/office-facts-positions-smollm2-135m"

step control
seed_cache "$RESULTS/office-facts-random-smollm2-135m"
"$SKILLPACK" bench "$DATA/office-facts-random.json" "${COMMON[@]}" --strategies none,oracle,all,routed \
  --sizes 4,16 --positions middle --limit 48 --out "$RESULTS/office-facts-random-smollm2-135m"

step no-skill
"$SKILLPACK" bench "$DATA/office-facts.json" "${COMMON[@]}" --strategies none,all,routed \
  --sizes 1,16,64 --positions middle \
  --tasks no-skill-1,no-skill-2,no-skill-3,no-skill-4,no-skill-5,no-skill-6,no-skill-7,no-skill-8,no-skill-9,no-skill-10,no-skill-11,no-skill-12 \
  --out "$RESULTS/office-facts-no-skill-smollm2-135m"

step catalog
"$SKILLPACK" bench "$DATA/office-facts.json" "${COMMON[@]}" --strategies catalog \
  --sizes 1,4,16,64 --positions middle --limit 48 --out "$RESULTS/office-facts-catalog-smollm2-135m"

step done
