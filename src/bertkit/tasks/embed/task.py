"""Sentence embeddings (bi-encoder): the config and the task.

Training rows are pairs, triplets or scored pairs (data.py); the loss is one of losses.py
(mnrl and its cached form for pairs/triplets, cosent or cosine_mse for scored pairs, triplet for
triplets), optionally under Matryoshka. Evaluation:
- a scored-pairs file: Spearman and Pearson of the cosine against the gold scores (STS);
- a pairs file: retrieval. The queries are the anchors, the corpus is every distinct positive
  (and negative) text of the file plus the passages of `corpus` if given; a query's relevant id
  is its positive. Recall@K, MRR@10, nDCG@10 and MAP@100 (metrics.py).
The output directory is a sentence-transformers model (model.py).
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from bertkit.errors import BertkitError
from bertkit.tasks.embed.cached import CachedStep
from bertkit.tasks.embed.data import Columns, collate, encode_rows, read_rows_of, read_texts
from bertkit.tasks.embed.losses import LOSSES, build_loss
from bertkit.tasks.embed.metrics import retrieval_metrics, sts_metrics
from bertkit.tasks.embed.model import SentenceEncoder, encode, load_encoder
from bertkit.tasks.embed.sampler import NoDuplicatesBatches
from bertkit.tasks.task import FinetuneConfig, Split
from bertkit.tokenizer import WordPieceTokenizer
from bertkit.train.dist import dist_info

SCORED_LOSSES = ("cosent", "cosine_mse")
IN_BATCH_LOSSES = ("mnrl", "cached_mnrl")


@dataclass
class EmbedConfig(FinetuneConfig):
    eval: str = ""  # scored pairs (STS) or pairs (retrieval) scored every epoch; "" = none
    epochs: float = 1.0  # passes over the training set (fractions allowed)
    max_seq_length: int = 256  # tokens per text, [CLS]/[SEP] included
    loss: str = "mnrl"  # mnrl, cached_mnrl, cosent, cosine_mse or triplet
    scale: float = 20.0  # cosine scale of mnrl and cosent (inverse temperature)
    symmetric: bool = False  # mnrl: add the positive -> anchor term
    margin: float = 5.0  # triplet: Euclidean margin
    mini_batch_size: int = 32  # cached_mnrl: texts per forward pass (memory), not the batch
    matryoshka_dims: str = ""  # e.g. 384,256,128,64: the loss summed over these leading dims
    no_duplicates: bool = True  # mnrl: never two copies of one text in a batch
    anchor_column: str = ""  # "" = anchor (sentence1 with a score column)
    positive_column: str = ""  # "" = positive (sentence2 with a score column)
    score_column: str = ""  # "" = score if present; "-" = none
    max_score: float = 5.0  # scores are divided by this into [0, 1] (STS-B: 5)
    corpus: str = ""  # retrieval eval: extra passages (.txt one per line, or a text column)
    save_every: int = 0  # optimizer steps between resume checkpoints (0: at the end or a signal)
    normalize: bool = True  # the saved model L2-normalises its vectors (a 2_Normalize module)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.loss not in LOSSES:
            raise BertkitError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.mini_batch_size <= 0 or self.max_score <= 0 or self.save_every < 0:
            raise BertkitError("mini_batch_size and max_score must be positive, save_every >= 0")
        try:
            dims = self.dims
        except ValueError:
            raise BertkitError(f"matryoshka_dims: not integers: {self.matryoshka_dims!r}") from None
        if any(d <= 0 for d in dims):
            raise BertkitError(f"matryoshka_dims must be positive, got {self.matryoshka_dims!r}")

    @property
    def dims(self) -> list[int]:
        return [int(d) for d in self.matryoshka_dims.split(",") if d.strip()]

    def columns(self) -> Columns:
        return Columns(self.anchor_column, self.positive_column, self.score_column)

    def task(self) -> "EmbedTask":
        return EmbedTask(self)


@dataclass
class RetrievalSplit(Split):
    """Queries (`features`, token ids) against `corpus` (token ids); `relevant[i]` = corpus ids."""

    corpus: list = field(default_factory=list)
    relevant: list = field(default_factory=list)


class EmbedTask:
    name = "embed"

    def __init__(self, config: EmbedConfig):
        self.config = config
        self.num_roles = 2
        self.is_retrieval = False

    def read_train(self, tokenizer: WordPieceTokenizer) -> Split:
        config = self.config
        rows = read_rows_of(
            config.train, config.columns(), config.max_score, config.max_train_examples
        )
        if config.loss in SCORED_LOSSES and not rows.is_scored:
            raise BertkitError(f"{config.train}: loss {config.loss} needs a score column")
        if config.loss not in SCORED_LOSSES and rows.is_scored:
            raise BertkitError(f"{config.train}: scored pairs train with cosent or cosine_mse")
        if config.loss == "triplet" and not rows.num_negatives:
            raise BertkitError(f"{config.train}: loss triplet needs a negative column")
        self.num_roles = 2 + rows.num_negatives
        features = encode_rows(tokenizer, rows, config.max_seq_length)
        return Split(features, rows.rows)

    def read_eval(self, tokenizer: WordPieceTokenizer) -> Split:
        config = self.config
        if not config.eval:
            return Split([], [])
        rows = read_rows_of(
            config.eval, config.columns(), config.max_score, config.max_eval_examples
        )
        self.is_retrieval = not rows.is_scored
        if rows.is_scored:
            return Split(encode_rows(tokenizer, rows, config.max_seq_length), rows.rows)
        passages: dict[str, int] = {}  # text -> corpus id, in order of first appearance
        for row in rows.rows:
            for text in row.texts[1:]:
                passages.setdefault(text, len(passages))
        for text in read_texts(config.corpus) if config.corpus else []:
            passages.setdefault(text, len(passages))
        length = config.max_seq_length
        queries = [
            e.input_ids
            for e in tokenizer.encode_batch([r.texts[0] for r in rows.rows], max_length=length)
        ]
        corpus = [e.input_ids for e in tokenizer.encode_batch(list(passages), max_length=length)]
        relevant = [{str(passages[row.texts[1]])} for row in rows.rows]
        return RetrievalSplit(queries, rows.rows, corpus=corpus, relevant=relevant)

    def default_metric(self) -> str:
        return "ndcg@10" if self.is_retrieval else "spearman"

    def build_model(self) -> SentenceEncoder:
        config = self.config
        bert, layout = load_encoder(
            config.model, config.unpad, config.max_seq_length, config.normalize
        )
        loss = build_loss(config.loss, config.scale, config.margin, config.symmetric, config.dims)
        return SentenceEncoder(bert, layout, loss, self.num_roles)

    def load_model(self, path: str | Path) -> SentenceEncoder:
        bert, layout = load_encoder(path, self.config.unpad, self.config.max_seq_length, None)
        return SentenceEncoder(bert, layout)

    def batches(self, split: Split, pad_id: int):
        """NO_DUPLICATES batches for in-batch negatives, else None (the usual shuffled batches)."""
        config = self.config
        if config.loss not in IN_BATCH_LOSSES or not config.no_duplicates:
            return None
        features, info = split.features, dist_info()
        return NoDuplicatesBatches(
            [f.texts for f in features],
            max(1, min(config.batch_size, len(features) // info.world_size)),
            lambda indices, epoch: collate([features[i] for i in indices], pad_id),
            seed=config.seed,
            rank=info.rank,
            world_size=info.world_size,
        )

    def step(self):
        """The loop's step for this loss: the cached one, or None for the shared one."""
        return (
            CachedStep(self.config.mini_batch_size) if self.config.loss == "cached_mnrl" else None
        )

    def collate(self, features: list, pad_id: int) -> dict[str, torch.Tensor]:
        return collate(features, pad_id)

    def units(self, batch: dict[str, torch.Tensor]) -> float:
        return float(batch["input_ids"].size(0) // self.num_roles)

    def score(self, model: SentenceEncoder, split: Split, pad_id: int) -> tuple[dict, object]:
        """STS correlations or retrieval metrics of `model` on `split`; predictions are the
        cosines (STS) or each query's top-10 corpus ids (retrieval)."""
        size = self.config.eval_batch_size
        if isinstance(split, RetrievalSplit):
            queries = torch.nn.functional.normalize(
                encode(model, split.features, pad_id, size), dim=-1
            )
            corpus = torch.nn.functional.normalize(
                encode(model, split.corpus, pad_id, size), dim=-1
            )
            top = (queries @ corpus.T).topk(min(100, corpus.size(0)), dim=-1).indices.tolist()
            ranked = [[str(i) for i in row] for row in top]
            return retrieval_metrics(ranked, split.relevant), [r[:10] for r in ranked]
        texts = [ids for f in split.features for ids in f.input_ids[:2]]
        vectors = encode(model, texts, pad_id, size).numpy()
        a, b = vectors[0::2], vectors[1::2]
        cos = (a * b).sum(-1) / np.maximum(
            np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12
        )
        gold = [f.score for f in split.features]
        return sts_metrics(cos.tolist(), gold), cos.tolist()
