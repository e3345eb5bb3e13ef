#!/usr/bin/env bash
# Every GPU row of `make bench` in one call, in under 8 minutes on one datacenter GPU:
#   pretrain-base-128, pretrain-base-512  BERT-base MLM + NSP training steps, with MFU against the
#                                         GPU's measured bf16 matmul peak (and the mini rows)
#   embed-*                               MiniLM embeddings of variable-length real text
#                                         (SST-2 sentences, SQuAD contexts), batch 32 and 256
#   model-padded-b64                      the encoder on padded batches of real sentences
#   finetune-*                            classification and QA fine-tuning steps
# each against transformers on the same weights, bf16 autocast for both. Results are merged row by
# row into benchmarks/results/cuda-<gpu>.json (written after every row, so a cut-short run keeps
# what finished) and the GPU's table in docs/benchmarks.md.
#
#   benchmarks/gpu.sh [extra suite.py flags]     PYTHON (default .venv/bin/python), BERTKIT_DATA
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    version=$("$PY" -c "import torch; print(torch.__version__)" 2>/dev/null || echo "not importable")
    echo "benchmarks/gpu.sh: no CUDA device visible to $PY (torch $version); nothing was run" >&2
    exit 2
fi
"$PY" -c "import torch; print('GPU:', torch.cuda.get_device_name(), '| torch', torch.__version__,
'| CUDA', torch.version.cuda)"
rows=pretrain-mini-128,pretrain-mini-512,pretrain-base-128,pretrain-base-512
rows+=,embed-sst2-b32,embed-sst2-b256,embed-squad-b32,embed-squad-b256,model-padded-b64
rows+=,finetune-classify,finetune-qa-384,finetune-qa-512
start=$(date +%s)
"$PY" benchmarks/suite.py --rows "$rows" --rounds 3 "$@"
echo "benchmarks/gpu.sh: $(( $(date +%s) - start )) s"
