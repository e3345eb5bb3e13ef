"""The model-level rows of `make bench`: bertkit against transformers, same weights, same batches.

  embed-*        inference: mean-pooled MiniLM embeddings of real variable-length text (SST-2
                 sentences, SQuAD contexts) in batches of 32 and 256, in the data's order
  model-padded-* `BertModel.from_pretrained` with defaults on padded batches of 64 real sentences
                 in random order (3.4 padded tokens per real one), outputs compared at real tokens
  pretrain-*     one MLM + NSP training step (forward, backward, clipping, AdamW) on WikiText-2
                 instances at sequence length 128 and 512
  finetune-*     one training step of MiniLM with a classification head (SST-2) or a QA head
                 (SQuAD windows of 384 and 512 tokens)
Both sides are built from one saved model; bertkit is constructed with its defaults (unpadding,
MLM decoding on masked positions only), transformers 5.x with SDPA attention, its default.
"""

import random
from dataclasses import dataclass, field
from pathlib import Path

import torch
from measure import data_dir, minilm_dir, texts_for

IMPLS = ("bertkit", "transformers")


@dataclass
class Row:
    name: str
    kind: str  # embed | model-padded | pretrain | finetune-classify | finetune-qa | tokenize
    batch_size: int = 32
    seq_len: int = 128
    texts: str = ""  # embed rows: sst2 or squad
    config: str = "mini"  # pretrain rows: the preset
    steps: int = 5  # timed steps (or passes over the texts, for embed rows) per turn
    gpu_only: bool = False
    extra: dict = field(default_factory=dict)


ROWS = [
    Row("embed-sst2-b32", "embed", 32, texts="sst2", steps=1),
    Row("embed-sst2-b256", "embed", 256, texts="sst2", steps=1),
    Row("embed-squad-b32", "embed", 32, texts="squad", steps=1),
    Row("embed-squad-b256", "embed", 256, texts="squad", steps=1),
    Row("model-padded-b64", "model-padded", 64, texts="sst2", steps=1),
    Row("pretrain-mini-128", "pretrain", 32, 128, config="mini", steps=5),
    Row("pretrain-mini-512", "pretrain", 8, 512, config="mini", steps=5),
    Row("pretrain-base-128", "pretrain", 64, 128, config="base", steps=10, gpu_only=True),
    Row("pretrain-base-512", "pretrain", 16, 512, config="base", steps=10, gpu_only=True),
    Row("finetune-classify", "finetune-classify", 32, 128, steps=5),
    Row("finetune-qa-384", "finetune-qa", 16, 384, steps=3),
    Row("finetune-qa-512", "finetune-qa", 8, 512, steps=3),
    Row("tokenize", "tokenize"),
]


def hf_twin(model, cls_name: str, work: Path):
    """The transformers model of class `cls_name` with `model`'s weights (saved, then loaded)."""
    import transformers

    model.save_pretrained(work)
    cls = getattr(transformers, cls_name)
    return cls.from_pretrained(work, attn_implementation="sdpa")


@dataclass
class Side:
    """One implementation of a row: `run(batch)` does the work for one batch."""

    model: torch.nn.Module
    run: object


@dataclass
class Setup:
    sides: dict[str, Side]
    batches: list[dict]
    tokens: int  # real (non-pad) tokens in all batches: the unit of throughput
    flops_per_turn: float = 0.0  # model FLOPs of one turn (GPU rows report MFU)
    check: object = None  # check(sides, batch) -> max abs difference of the two outputs


def setup_embed(row: Row, device: torch.device, work: Path, quick: bool) -> Setup:
    from bertkit.model import BertModel
    from bertkit.tasks.batching import encoder_inputs
    from bertkit.tokenizer import WordPieceTokenizer

    limit = (256 if quick else 0) if row.texts == "sst2" else (128 if quick else 1024)
    texts = texts_for(row.texts, limit)
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir())
    encodings = tokenizer.encode_batch(texts, max_length=512, truncation="longest_first")
    batches = [
        encoder_inputs(encodings[i : i + row.batch_size], tokenizer.pad_token_id)
        for i in range(0, len(encodings), row.batch_size)
    ]
    ours = BertModel.from_pretrained(minilm_dir()).eval()  # defaults: unpadded
    theirs = hf_twin(ours, "BertModel", work).eval()

    def mean_pool(model, batch):
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    def check(sides, batch):
        a, b = (mean_pool(sides[name].model, batch) for name in IMPLS)
        return (a.float() - b.float()).abs().max().item()

    sides = {
        name: Side(model.to(device), lambda batch, model=model: mean_pool(model, batch))
        for name, model in zip(IMPLS, (ours, theirs), strict=True)
    }
    tokens = sum(len(e.input_ids) for e in encodings)
    return Setup(sides, batches, tokens, check=check)


def setup_model_padded(row: Row, device: torch.device, work: Path, quick: bool) -> Setup:
    """The encoder as a library user calls it: their own padded batches, in random order."""
    from bertkit.model import BertModel
    from bertkit.tasks.batching import encoder_inputs
    from bertkit.tokenizer import WordPieceTokenizer

    texts = texts_for(row.texts, 512 if quick else 2048)
    random.Random(0).shuffle(texts)
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir())
    encodings = tokenizer.encode_batch(texts, max_length=256, truncation="longest_first")
    batches = [
        encoder_inputs(encodings[i : i + row.batch_size], tokenizer.pad_token_id)
        for i in range(0, len(encodings), row.batch_size)
    ]
    ours = BertModel.from_pretrained(minilm_dir()).eval()  # defaults
    theirs = hf_twin(ours, "BertModel", work).eval()

    def check(sides, batch):
        real = batch["attention_mask"].bool()
        a, b = (sides[name].model(**batch).last_hidden_state[real] for name in IMPLS)
        return (a.float() - b.float()).abs().max().item()

    sides = {
        name: Side(model.to(device), lambda batch, model=model: model(**batch))
        for name, model in zip(IMPLS, (ours, theirs), strict=True)
    }
    tokens = sum(len(e.input_ids) for e in encodings)
    return Setup(sides, batches, tokens, check=check)


def train_side(model, loss_fn, device: torch.device) -> Side:
    """A side whose run(batch) is one optimizer step: loss, backward, clip at 1.0, AdamW (fused,
    for both: the comparison is of the models, not of optimizer settings)."""
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True)

    def run(batch):
        loss = loss_fn(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    return Side(model, run)


def encoder_flops(config, real_tokens: int, seq_len: int, decoded: int) -> float:
    """Model FLOPs of a training step (forward + backward = 3 x forward, 2 FLOPs a multiply-add):
    the encoder's matmuls on the real tokens, attention over `seq_len` keys, the MLM transform and
    vocabulary projection on the `decoded` (masked) positions."""
    h, layers, inter = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    per_token = layers * (4 * h * h + 2 * h * inter + 2 * seq_len * h)
    decoder = h * h + h * config.vocab_size
    return 6.0 * (real_tokens * per_token + decoded * decoder)


def setup_pretrain(row: Row, device: torch.device, work: Path, quick: bool) -> Setup:
    from bertkit.data.dataset import PretrainingData
    from bertkit.model import BertForPreTraining
    from bertkit.train.architecture import model_config

    data = PretrainingData(row.extra["data"], "train")
    config = model_config(row.config, len(data.tokenizer), data.max_seq_length)
    torch.manual_seed(0)
    ours = BertForPreTraining(config)  # defaults: unpadded, masked-only decoding
    theirs = hf_twin(ours, "BertForPreTraining", work)
    steps = row.steps + 1  # the first is warm-up
    batches = [
        data.collate(list(range(i * row.batch_size, (i + 1) * row.batch_size)), epoch=0)
        for i in range(steps)
    ]

    def loss(model, batch):  # both: MLM + NSP from `labels` and `next_sentence_label`
        return model(**batch).loss

    sides = {
        "bertkit": train_side(ours, loss, device),
        "transformers": train_side(theirs, loss, device),
    }
    timed = batches[1:]
    tokens = sum(int(b["attention_mask"].sum()) for b in timed)
    decoded = sum(int((b["labels"] != -100).sum()) for b in timed)
    flops = encoder_flops(config, tokens, row.seq_len, decoded)
    return Setup(sides, batches, tokens, flops_per_turn=flops)


def setup_finetune(row: Row, device: torch.device, work: Path, quick: bool) -> Setup:
    from bertkit.model import BertForQuestionAnswering, BertForSequenceClassification
    from bertkit.tasks.batching import encoder_inputs
    from bertkit.tokenizer import WordPieceTokenizer

    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir())
    count = row.batch_size * (row.steps + 1)
    torch.manual_seed(0)
    if row.kind == "finetune-classify":
        rows = (data_dir() / "sst2" / "train.tsv").read_text("utf-8").splitlines()[1:]
        rows = [r.split("\t") for r in rows[:count]]
        encodings = tokenizer.encode_batch(
            [r[0] for r in rows], max_length=row.seq_len, truncation="longest_first"
        )
        labels = torch.tensor([int(r[1]) for r in rows])
        ours = BertForSequenceClassification.from_pretrained(minilm_dir(), num_labels=2)
        cls_name = "BertForSequenceClassification"
    else:
        from bertkit.tasks.qa.data import encode_examples, read_squad

        examples = read_squad(data_dir() / "squad-v1.1" / "dev-v1.1.json", limit=count).examples
        windows = encode_examples(tokenizer, examples, row.seq_len, 128, is_training=True)
        encodings = windows[:count]
        starts = torch.tensor([w.start_position for w in encodings])
        ends = torch.tensor([w.end_position for w in encodings])
        ours = BertForQuestionAnswering.from_pretrained(minilm_dir())
        cls_name = "BertForQuestionAnswering"
    theirs = hf_twin(ours, cls_name, work)
    batches = []
    for i in range(0, len(encodings), row.batch_size):
        chunk = encodings[i : i + row.batch_size]
        batch = encoder_inputs(chunk, tokenizer.pad_token_id)
        if row.kind == "finetune-classify":
            batch["labels"] = labels[i : i + row.batch_size]
        else:
            batch["start_positions"] = starts[i : i + row.batch_size]
            batch["end_positions"] = ends[i : i + row.batch_size]
        batches.append(batch)

    def loss(model, batch):
        return model(**batch).loss

    sides = {
        "bertkit": train_side(ours, loss, device),
        "transformers": train_side(theirs, loss, device),
    }
    tokens = sum(int(b["attention_mask"].sum()) for b in batches[1:])
    return Setup(sides, batches, tokens)


SETUPS = {
    "embed": setup_embed,
    "model-padded": setup_model_padded,
    "pretrain": setup_pretrain,
    "finetune-classify": setup_finetune,
    "finetune-qa": setup_finetune,
}
