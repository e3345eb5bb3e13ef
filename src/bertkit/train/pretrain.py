"""`pretrain`: BertForPreTraining (MLM + NSP) on a prepared data folder, with the shared loop.

Devlin et al. 2018, section 3.1. The loss of a step is the mean MLM cross-entropy over *all* masked
tokens of the step's batch plus the mean NSP cross-entropy over all its sequences, however the batch
is split into micro-batches and processes (`pretraining_step` normalises by the window totals).
The run folder gets config.json, metrics.jsonl, loss.png, checkpoints/ and the final model/.
"""

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from bertkit.data.dataset import PretrainingData
from bertkit.data.masking import IGNORE_INDEX
from bertkit.data.stream import ShuffledBatches
from bertkit.errors import BertkitError
from bertkit.files import write_json
from bertkit.model import BertConfig, BertForPreTraining
from bertkit.model.config import PRESETS, preset
from bertkit.train.config import TrainConfig
from bertkit.train.dist import all_reduce_sum, dist_info, shutdown_distributed
from bertkit.train.loop import TrainResult, train
from bertkit.train.rng import seed_everything

log = logging.getLogger(__name__)


@dataclass
class PretrainConfig:
    data: str  # a folder written by `bertkit prepare-pretraining`
    model: str = "mini"  # a preset (tiny, mini, small, medium, base, large) or a config.json
    sparse_prediction: bool = True  # decode only the masked positions (same loss, faster)
    attn_backend: str = "sdpa"  # attention implementation: eager or sdpa
    eval_batch_size: int = 64  # sequences per evaluation batch


def model_config(spec: str, vocab_size: int, max_seq_length: int) -> BertConfig:
    """The architecture named by `spec`, with the vocabulary's size."""
    if spec in PRESETS:
        config = preset(spec, vocab_size=vocab_size)
    else:
        from bertkit.interop.checkpoint import read_config

        path = Path(spec)
        if not path.exists():
            raise BertkitError(f"{spec}: neither a preset ({', '.join(PRESETS)}) nor a file")
        config = read_config(path.parent if path.is_file() else path)
        if config.vocab_size != vocab_size:
            raise BertkitError(
                f"{spec}: vocab_size {config.vocab_size} differs from the data's vocabulary "
                f"({vocab_size} tokens)"
            )
    if config.max_position_embeddings < max_seq_length:
        raise BertkitError(
            f"max_position_embeddings {config.max_position_embeddings} is shorter than the "
            f"data's sequences ({max_seq_length})"
        )
    return config


def count_pretraining(batch: dict[str, torch.Tensor]) -> dict[str, float]:
    return {
        "sequences": float(batch["input_ids"].shape[0]),
        "masked_tokens": float((batch["labels"] != IGNORE_INDEX).sum()),
        "tokens": float(batch["attention_mask"].sum()),
    }


def pretraining_step(model, batch: dict[str, torch.Tensor], totals: dict[str, float]):
    """One micro-batch's share of the step loss: sums over it, divided by the step's totals."""
    out = model(**batch)
    labels = batch["labels"]
    selected = labels != IGNORE_INDEX  # (B, T)
    num_masked = int(selected.sum())
    # The model's MLM loss is a mean over this micro-batch's masked tokens; times their number it
    # is their sum. A micro-batch without masked tokens contributes nothing (not a NaN mean).
    mlm_sum = out.mlm_loss * num_masked if num_masked else out.mlm_loss.new_zeros(())
    nsp_sum = out.nsp_loss * labels.shape[0]
    loss = mlm_sum / totals["masked_tokens"] + nsp_sum / totals["sequences"]
    with torch.no_grad():
        logits = out.prediction_logits  # (N, V) when sparse, else (B, T, V)
        logits = logits if logits.ndim == 2 else logits[selected]
        mlm_correct = (logits.argmax(-1) == labels[selected]).sum()
        nsp_correct = (out.seq_relationship_logits.argmax(-1) == batch["next_sentence_label"]).sum()
    metrics = {
        "mlm_loss": mlm_sum.item() / totals["masked_tokens"],
        "nsp_loss": nsp_sum.item() / totals["sequences"],
        "mlm_acc": mlm_correct.item() / totals["masked_tokens"],
        "nsp_acc": nsp_correct.item() / totals["sequences"],
    }
    return loss, metrics


def evaluator(data: PretrainingData, batch_size: int):
    """evaluate(model) over the whole split (each process scores its share), masks of epoch 0."""
    info = dist_info()
    indices = np.arange(info.rank, len(data), info.world_size)

    def evaluate(model) -> dict[str, float]:
        device = next(model.parameters()).device
        sums = {"mlm": 0.0, "nsp": 0.0, "mlm_correct": 0.0, "nsp_correct": 0.0}
        sums |= {"masked_tokens": 0.0, "sequences": 0.0}
        for start in range(0, len(indices), batch_size):
            batch = data.collate(indices[start : start + batch_size], epoch=0)
            batch = {key: value.to(device) for key, value in batch.items()}
            counts = count_pretraining(batch)
            _, metrics = pretraining_step(model, batch, counts)
            sums["masked_tokens"] += counts["masked_tokens"]
            sums["sequences"] += counts["sequences"]
            sums["mlm"] += metrics["mlm_loss"] * counts["masked_tokens"]
            sums["mlm_correct"] += metrics["mlm_acc"] * counts["masked_tokens"]
            sums["nsp"] += metrics["nsp_loss"] * counts["sequences"]
            sums["nsp_correct"] += metrics["nsp_acc"] * counts["sequences"]
        sums = all_reduce_sum(sums, device)
        mlm_loss = sums["mlm"] / max(sums["masked_tokens"], 1)
        nsp_loss = sums["nsp"] / max(sums["sequences"], 1)
        return {
            "loss": mlm_loss + nsp_loss,
            "mlm_loss": mlm_loss,
            "nsp_loss": nsp_loss,
            "mlm_acc": sums["mlm_correct"] / max(sums["masked_tokens"], 1),
            "nsp_acc": sums["nsp_correct"] / max(sums["sequences"], 1),
        }

    return evaluate


def pretrain(
    config: PretrainConfig, train_config: TrainConfig, resume: bool = False
) -> TrainResult:
    """Pretrain a BERT from scratch; the final model lands in out_dir/model (HF layout)."""
    info = dist_info()
    out_dir = Path(train_config.out_dir)
    train_data = PretrainingData(config.data, "train", seed=train_config.seed)
    eval_data = PretrainingData(config.data, "eval", seed=train_config.seed)
    tokenizer = train_data.tokenizer
    architecture = model_config(config.model, len(tokenizer), train_data.max_seq_length)
    settings = {
        "pretrain": asdict(config),
        "model": architecture.to_dict(),
        "train": train_config.to_dict(),
    }
    _check_same_run(out_dir, settings, resume)
    if info.is_main:
        write_json(out_dir / "config.json", settings)

    seed_everything(train_config.seed)  # identical initial weights in every process
    model = BertForPreTraining(
        architecture, attn_backend=config.attn_backend, sparse_prediction=config.sparse_prediction
    )
    log.info(
        "pretraining a %s-parameter BERT on %d instances (%d held out)",
        f"{model.num_parameters():,}",
        len(train_data),
        len(eval_data),
    )
    batches = ShuffledBatches(
        len(train_data),
        train_config.batch_size,
        train_data.collate,
        seed=train_config.seed,
        rank=info.rank,
        world_size=info.world_size,
    )
    evaluate = evaluator(eval_data, config.eval_batch_size) if len(eval_data) else None
    result = train(
        model,
        train_config,
        batches,
        pretraining_step,
        count=count_pretraining,
        evaluate=evaluate,
        resume=resume,
    )
    if info.is_main:
        model.save_pretrained(out_dir / "model")
        tokenizer.save_pretrained(out_dir / "model")
        log.info("saved the model to %s", out_dir / "model")
    shutdown_distributed()
    return result


def _check_same_run(out_dir: Path, settings: dict, resume: bool) -> None:
    """A resumed run must keep its data and architecture; training knobs may change."""
    path = out_dir / "config.json"
    if not (resume and path.exists()):
        return
    saved = json.loads(path.read_text(encoding="utf-8"))
    for part in ("pretrain", "model"):
        if saved.get(part) != json.loads(json.dumps(settings[part])):
            raise BertkitError(f"--resume: the {part} settings differ from those in {path}")
