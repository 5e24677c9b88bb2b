#!/usr/bin/env bash
# One GPU lease, planned as a single command (a lease is ~15 minutes, start-up included).
# One process at a time: separate processes on one GPU are time-sliced and each ran ~3x
# slower in the lease of 2026-11-27 (results/gpu/2026-11-27-h200/README.md); many runs go
# into one process, stacked (symlens.batched).
#   1. uncontended step times: single fits and stacked fits;
#   2. the `fast` profile on all six datasets x seeds 0-2, stacked (M = 18), up to FAST_LIMIT s;
#   3. the faithful `paper` curve on gaussian-translation for PAPER_LIMIT s.
# Results land under results/ and are packed into $OUT/*.tgz (the lease returns at most 8
# files, 2 folders deep).
#
#   OUT=/tmp/out SYMLENS_GIT_SHA=$(git rev-parse --short HEAD) bash benchmarks/gpu_session.sh
#   OUT=/tmp/out DEVICE=cpu DRY=1 FAST_LIMIT=5 PAPER_LIMIT=5 bash benchmarks/gpu_session.sh  # rehearsal
set -u
OUT=${OUT:?set OUT}; DEVICE=${DEVICE:-cuda}
FAST_LIMIT=${FAST_LIMIT:-420}; PAPER_LIMIT=${PAPER_LIMIT:-60}
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 MPLBACKEND=Agg
PY=${PY:-python3}
LOGS=results/gpu_logs; mkdir -p "$LOGS"
dry=(); [ "${DRY:-0}" = 1 ] && dry=(--set epochs=2 steps_per_epoch=10 n_batches=4)
{ date -u; nvidia-smi 2>&1 | head -15; $PY -c "import torch, numpy, scipy; print('torch', torch.__version__, 'numpy', numpy.__version__, 'scipy', scipy.__version__)"; } > "$LOGS/machine.txt" 2>&1

steps=10; [ "${DRY:-0}" = 1 ] && steps=1
timeout 90 $PY benchmarks/step_time.py --device "$DEVICE" --modes eager --batches 16500 2046 1023 --runs 18 --steps $steps \
    > "$LOGS/step_time.txt" 2>&1

timeout $((FAST_LIMIT + 60)) $PY benchmarks/time_to_accuracy.py --device "$DEVICE" --max-seconds "$FAST_LIMIT" \
    --profile fast --dataset all --seed 0 1 2 --out results/fast/03_accuracy/runs "${dry[@]}" > "$LOGS/fast.txt" 2>&1
timeout $((PAPER_LIMIT + 60)) $PY benchmarks/time_to_accuracy.py --device "$DEVICE" --max-seconds "$PAPER_LIMIT" \
    --profile paper --dataset gaussian-translation --seed 0 --out results/paper/time_to_accuracy/gaussian-translation/seed0 \
    "${dry[@]}" > "$LOGS/paper.txt" 2>&1

tar czf "$OUT/fast.tgz" --exclude=checkpoint results/fast/03_accuracy/runs "$LOGS"
tar czf "$OUT/paper.tgz" --exclude=checkpoint results/paper/time_to_accuracy
ls -la "$OUT"; tail -n 3 "$LOGS"/*.txt
