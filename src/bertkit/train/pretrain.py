"""`pretrain`: BertForPreTraining (MLM + NSP) or BertForMaskedLM (MLM only) with the shared loop.

Devlin et al. 2018, section 3.1; `objective="mlm"` drops NSP as RoBERTa (Liu et al. 2019) and
MosaicBERT do, and `init_from` continues pretraining an existing BERT on new text (domain
adaptation, as BioBERT and SciBERT were made): its vocabulary, its encoder, and the heads it lacks
initialised (the MLM decoder is tied to its embeddings, so only its transform and bias are new).
The loss of a step is the mean MLM cross-entropy over *all* masked
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
from bertkit.interop.checkpoint import find_model_dir
from bertkit.model import BertConfig, BertForMaskedLM, BertForPreTraining
from bertkit.train.architecture import model_config
from bertkit.train.config import TrainConfig
from bertkit.train.dist import all_reduce_sum, dist_info, shutdown_distributed
from bertkit.train.loop import TrainResult, train
from bertkit.train.rng import seed_everything

log = logging.getLogger(__name__)

OBJECTIVES = ("mlm_nsp", "mlm")


@dataclass
class PretrainConfig:
    data: str  # a folder written by `bertkit prepare-pretraining`
    model: str = "mini"  # a preset (tiny, mini, small, medium, base, large) or a config.json
    init_from: str | None = None  # continue pretraining this BERT model directory (its weights)
    objective: str = "mlm_nsp"  # mlm_nsp: BERT's MLM + NSP; mlm: MLM only (RoBERTa, MosaicBERT)
    mlm_probability: float | None = None  # share of tokens masked; None: the data's (0.15)
    train_heads_only: bool = False  # freeze the encoder: fit a fresh head first (LP-FT)
    attn_backend: str = "sdpa"  # sdpa (runs unpadded) or eager (the padded reference)
    eval_batch_size: int = 64  # sequences per evaluation batch

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise BertkitError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        if self.mlm_probability is not None and not 0 < self.mlm_probability < 1:
            raise BertkitError(f"mlm_probability must be in (0, 1), got {self.mlm_probability}")


def count_pretraining(batch: dict[str, torch.Tensor]) -> dict[str, float]:
    return {
        "sequences": float(batch["input_ids"].shape[0]),
        "masked_tokens": float((batch["labels"] != IGNORE_INDEX).sum()),
        "tokens": float(batch["attention_mask"].sum()),
    }


def pretraining_step(model, batch: dict[str, torch.Tensor], totals: dict[str, float]):
    """One micro-batch's share of the step loss: sums over it, divided by the step's totals.
    A BertForMaskedLM (objective "mlm") has no NSP term; its batches carry no NSP labels."""
    has_nsp = isinstance(model_of(model), BertForPreTraining)
    if not has_nsp:
        batch = {k: v for k, v in batch.items() if k != "next_sentence_label"}
    out = model(**batch)
    labels = batch["labels"]
    selected = labels != IGNORE_INDEX  # (B, T)
    num_masked = int(selected.sum())
    mlm_loss = out.mlm_loss if has_nsp else out.loss
    # The model's MLM loss is a mean over this micro-batch's masked tokens; times their number it
    # is their sum. A micro-batch without masked tokens contributes nothing (not a NaN mean).
    mlm_sum = mlm_loss * num_masked if num_masked else mlm_loss.new_zeros(())
    loss = mlm_sum / totals["masked_tokens"]
    with torch.no_grad():
        logits = out.prediction_logits if has_nsp else out.logits  # (N, V): masked positions
        logits = logits if logits.ndim == 2 else logits[selected]
        mlm_correct = (logits.argmax(-1) == labels[selected]).sum()
    metrics = {
        "mlm_loss": mlm_sum.item() / totals["masked_tokens"],
        "mlm_acc": mlm_correct.item() / totals["masked_tokens"],
    }
    if has_nsp:
        nsp_sum = out.nsp_loss * labels.shape[0]
        loss = loss + nsp_sum / totals["sequences"]
        with torch.no_grad():
            predicted = out.seq_relationship_logits.argmax(-1)
            nsp_correct = (predicted == batch["next_sentence_label"]).sum()
        metrics["nsp_loss"] = nsp_sum.item() / totals["sequences"]
        metrics["nsp_acc"] = nsp_correct.item() / totals["sequences"]
    return loss, metrics


def model_of(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside a DistributedDataParallel (or torch.compile) wrapper."""
    while hasattr(model, "module") or hasattr(model, "_orig_mod"):
        inner = getattr(model, "module", None) or model._orig_mod
        assert isinstance(inner, torch.nn.Module)
        model = inner
    return model


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
            sums["nsp"] += metrics.get("nsp_loss", 0.0) * counts["sequences"]
            sums["nsp_correct"] += metrics.get("nsp_acc", 0.0) * counts["sequences"]
        sums = all_reduce_sum(sums, device)
        mlm_loss = sums["mlm"] / max(sums["masked_tokens"], 1)
        scores = {
            "loss": mlm_loss,
            "mlm_loss": mlm_loss,
            "mlm_acc": sums["mlm_correct"] / max(sums["masked_tokens"], 1),
        }
        if isinstance(model_of(model), BertForPreTraining):
            nsp_loss = sums["nsp"] / max(sums["sequences"], 1)
            scores["loss"] += nsp_loss
            scores["nsp_loss"] = nsp_loss
            scores["nsp_acc"] = sums["nsp_correct"] / max(sums["sequences"], 1)
        return scores

    return evaluate


def pretrain(
    config: PretrainConfig, train_config: TrainConfig, resume: bool = False
) -> TrainResult:
    """Pretrain a BERT from scratch (or from `config.init_from`); the final model lands in
    out_dir/model (HF layout)."""
    info = dist_info()
    out_dir = Path(train_config.out_dir)
    masking = {"seed": train_config.seed, "mlm_probability": config.mlm_probability}
    train_data = PretrainingData(config.data, "train", **masking)
    eval_data = PretrainingData(config.data, "eval", **masking)
    if config.objective == "mlm_nsp" and not train_data.has_nsp:
        raise BertkitError(
            f"{config.data}: prepared with --no-nsp (no sentence pairs): use --objective mlm"
        )
    tokenizer = train_data.tokenizer
    if config.init_from:
        check_same_vocabulary(config.init_from, tokenizer, config.data)
        spec = str(find_model_dir(Path(config.init_from)))
    else:
        spec = config.model
    architecture = model_config(spec, len(tokenizer), train_data.max_seq_length)
    settings = {
        "pretrain": asdict(config),
        "model": architecture.to_dict(),
        "train": train_config.to_dict(),
    }
    _check_same_run(out_dir, settings, resume)
    if info.is_main:
        write_json(out_dir / "config.json", settings)

    seed_everything(train_config.seed)  # identical initial weights in every process
    model = build_model(config, architecture)
    if config.train_heads_only:
        # Kumar et al. 2022 (LP-FT): a random head's gradients would distort pretrained features;
        # fitting the head alone first is also ~3x cheaper a step (no backward through the encoder).
        model.bert.requires_grad_(False)
    log.info(
        "pretraining a %s-parameter BERT%s (%s) on %d instances (%d held out)",
        f"{model.num_parameters():,}",
        f" from {config.init_from}" if config.init_from else "",
        config.objective,
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
    if evaluate is None and info.is_main:
        log.warning(
            "%s has no held-out split: no held-out masked-LM accuracy will be reported "
            "(prepare-pretraining holds out 5%% of the documents by default, --eval-fraction)",
            config.data,
        )
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


def build_model(config: PretrainConfig, architecture: BertConfig):
    """The model of the objective: fresh weights, or those of `config.init_from`."""
    cls = BertForPreTraining if config.objective == "mlm_nsp" else BertForMaskedLM
    unpad = config.attn_backend != "eager"  # eager attention is the padded reference
    if not config.init_from:
        return cls(architecture, attn_backend=config.attn_backend, unpad=unpad)
    return cls.from_pretrained(
        config.init_from, attn_backend=config.attn_backend, unpad=unpad
    ).train()


def check_same_vocabulary(model_dir: str, tokenizer, data_dir: str) -> None:
    """Continued pretraining needs data tokenized with the model's own vocabulary."""
    from bertkit.tokenizer import WordPieceTokenizer

    model_tokenizer = WordPieceTokenizer.from_pretrained(find_model_dir(Path(model_dir)))
    ids = list(range(max(len(tokenizer), len(model_tokenizer))))
    if len(tokenizer) != len(model_tokenizer) or tokenizer.convert_ids_to_tokens(
        ids
    ) != model_tokenizer.convert_ids_to_tokens(ids):
        raise BertkitError(
            f"{data_dir}: prepared with another vocabulary than {model_dir} "
            f"(run prepare-pretraining --vocab-from {model_dir})"
        )


def _check_same_run(out_dir: Path, settings: dict, resume: bool) -> None:
    """A resumed run must keep its data and architecture; training knobs may change."""
    path = out_dir / "config.json"
    if not (resume and path.exists()):
        return
    saved = json.loads(path.read_text(encoding="utf-8"))
    for part in ("pretrain", "model"):
        if saved.get(part) != json.loads(json.dumps(settings[part])):
            raise BertkitError(f"--resume: the {part} settings differ from those in {path}")
