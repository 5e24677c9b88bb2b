#!/usr/bin/env bash
# One GPU lease, planned as a single command (the lease is ~15 minutes, start-up included):
#   1. uncontended step times (single fits and stacked fits), then
#   2. concurrent time-limited runs: the faithful `paper` curve, a `cpu`-profile Table 2
#      (6 datasets x 3 seeds in one batched computation) and a schedule sweep (3 seeds each).
# Everything lands under results/ and is packed into $OUT/*.tgz for the trip back.
#
#   OUT=/tmp/out LIMIT=400 bash benchmarks/gpu_session.sh        # on the GPU machine
#   OUT=/tmp/out LIMIT=5 DEVICE=cpu DRY=1 bash benchmarks/gpu_session.sh   # rehearsal
set -u
OUT=${OUT:?set OUT}; LIMIT=${LIMIT:-400}; DEVICE=${DEVICE:-cuda}
# the paper run only samples the start of its 1e6-step schedule; it stops early so that the
# batched Table-2 run, which must finish its whole schedule, gets the GPU to itself
PAPER_LIMIT=${PAPER_LIMIT:-200}
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2 MPLBACKEND=Agg
PY=${PY:-python3}
LOGS=results/gpu_logs; mkdir -p "$LOGS"
dry=(); [ "${DRY:-0}" = 1 ] && dry=(--set epochs=2 steps_per_epoch=10 n_batches=4)
{ date -u; nvidia-smi 2>&1 | head -15; $PY -c "import torch, numpy, scipy; print('torch', torch.__version__, 'numpy', numpy.__version__, 'scipy', scipy.__version__)"; } > "$LOGS/machine.txt" 2>&1

steps=10; [ "${DRY:-0}" = 1 ] && steps=1
timeout 75 $PY benchmarks/step_time.py --device "$DEVICE" --modes eager --batches 16500 1023 --runs 3 18 --steps $steps \
    > "$LOGS/step_time.txt" 2>&1

tta() {  # name, time limit, then time_to_accuracy arguments
    local name=$1 limit=$2; shift 2
    timeout $((limit + 40)) $PY benchmarks/time_to_accuracy.py --device "$DEVICE" --max-seconds "$limit" "$@" "${dry[@]}" \
        > "$LOGS/$name.txt" 2>&1 &
}
tta paper "$PAPER_LIMIT" --profile paper --dataset gaussian-translation --seed 0 --out results/paper/time_to_accuracy/gaussian-translation/seed0
tta table2 $((LIMIT + 40)) --profile cpu --dataset all --seed 0 1 2 --out results/cpu/03_accuracy/runs
for v in estimator_lr=0.01 lr_decay=0.01 batch_size=2046 epochs=360 noise_decay_epochs=20; do
    tta "sweep-${v/=/}" "$LIMIT" --profile cpu --dataset gaussian-translation --seed 0 1 2 --set "$v" --out "results/cpu/sweep/${v/=/}"
done
wait
tar czf "$OUT/paper.tgz" --exclude=checkpoint results/paper/time_to_accuracy "$LOGS"
tar czf "$OUT/table2.tgz" --exclude=checkpoint results/cpu/03_accuracy/runs
tar czf "$OUT/sweep.tgz" --exclude=checkpoint results/cpu/sweep
ls -la "$OUT"; tail -n 3 "$LOGS"/*.txt
