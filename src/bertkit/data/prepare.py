"""`prepare_pretraining`: text files -> shards of NSP pairs (or, with `nsp=False`, full-length
MLM-only segments) on disk, by worker processes.

The corpus is read as a stream and cut into pools of `docs_per_shard` documents (a pool never
spans two files). A worker tokenizes one pool, builds its pairs (google's recipe, `instances.py`),
shuffles them and writes them as one shard; at most two pools per worker are in flight, so memory
stays flat however large the corpus. Random B segments come from the other documents of the same
pool (google draws them from the whole corpus, which must then fit in memory). Pool k uses
rng(seed, k), so the output depends on the seed, never on the number of workers. `index.json` is
written last. By default 5% of each pool's documents are held out for evaluation (at least 2,
none from a pool of fewer than 8), as transformers' run_mlm holds out 5%; the summary says so.
"""

import functools
import logging
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bertkit.data.corpus import FORMATS, MAX_LINE_BYTES, CorpusStats, read_documents
from bertkit.data.instances import create_instances, create_segments
from bertkit.data.masking import MaskingConfig, mask_tokens, masking_vocab
from bertkit.data.shards import INDEX_FILE, token_dtype, write_shard
from bertkit.errors import BertkitError
from bertkit.files import write_json
from bertkit.tokenizer import WordPieceTokenizer

log = logging.getLogger(__name__)

MASKING_MODES = ("dynamic", "static")
# A pool holds out documents only from this size: the at-least-2 held out are then at most a
# quarter of it, and the rest still trains.
MIN_DOCUMENTS_TO_HOLD_OUT = 8


@dataclass
class PrepareConfig:
    max_seq_length: int = 128  # tokens per instance, [CLS] and [SEP]s included
    nsp: bool = True  # NSP pairs; --no-nsp: full-length segments for MLM-only pretraining
    short_seq_prob: float = 0.1  # share of instances that aim at a random shorter length
    dupe_factor: int = 1  # passes over each pool, each with new pairs (and static masks)
    masking: str = "dynamic"  # dynamic: a new mask every epoch at batch time; static: fixed here
    masking_config: MaskingConfig = field(default_factory=MaskingConfig)
    format: str = "auto"  # corpus layout: auto, bert, lines, paragraphs, wikitext
    eval_fraction: float = 0.05  # share of each pool's documents held out for eval (at least 2)
    docs_per_shard: int = 2000  # documents per pool; random B segments come from the same pool
    max_line_bytes: int = MAX_LINE_BYTES  # longer lines are damaged input: skipped and counted
    seed: int = 12345
    workers: int = 1  # worker processes

    def __post_init__(self) -> None:
        if self.max_seq_length < 8:
            raise BertkitError(f"max_seq_length must be at least 8, got {self.max_seq_length}")
        if self.masking not in MASKING_MODES:
            raise BertkitError(f"masking must be one of {MASKING_MODES}, got {self.masking!r}")
        if self.format not in FORMATS:
            raise BertkitError(f"format must be one of {FORMATS}, got {self.format!r}")
        for name in ("short_seq_prob", "eval_fraction"):
            if not 0 <= getattr(self, name) < 1:
                raise BertkitError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ("dupe_factor", "docs_per_shard", "workers", "max_line_bytes"):
            if getattr(self, name) < 1:
                raise BertkitError(f"{name} must be at least 1, got {getattr(self, name)}")


def tokenize_sentence(tokenizer: WordPieceTokenizer, text: str) -> list[int]:
    """The one place where a line of text becomes token ids."""
    return tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text))


def prepare_pretraining(
    corpus: list[str | Path],
    tokenizer: WordPieceTokenizer,
    out_dir: str | Path,
    config: PrepareConfig,
    progress: bool = True,
) -> dict:
    """Write the shards, the tokenizer and index.json into `out_dir`; returns the summary."""
    from bertkit.progress import progress_bar

    out_dir, started = Path(out_dir), time.perf_counter()
    files = [Path(path) for path in corpus]
    for path in files:
        if not path.is_file():
            raise BertkitError(f"{path}: no such corpus file")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / INDEX_FILE).unlink(missing_ok=True)  # the folder is incomplete until we finish
    # Shards of an earlier run, and temporary files of one killed while writing.
    for stale in [
        *out_dir.glob("train-*.bin"),
        *out_dir.glob("eval-*.bin"),
        *out_dir.glob(".*.tmp-*"),
    ]:
        stale.unlink()
    tokenizer.save_pretrained(out_dir)

    reading = CorpusStats()
    pools = _pools(files, config, reading)
    work = functools.partial(_prepare_pool, tokenizer=tokenizer, out_dir=out_dir, config=config)
    splits: dict[str, list[dict]] = {"train": [], "eval": []}
    totals: dict[str, int] = {}
    bar = progress_bar(desc="prepare", unit="shard", disable=not progress)
    with ProcessPoolExecutor(config.workers) if config.workers > 1 else _Inline() as executor:
        for entries, counts in _ordered_map(executor, work, pools, 2 * config.workers):
            for split, entry in entries.items():
                splits[split].append(entry)
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            bar.update(1)
            bar.set_postfix(instances=totals.get("train_instances", 0))
    bar.close()
    if not totals.get("train_instances"):
        raise BertkitError("the corpus gave no training instances (is it empty?)")

    summary = {
        **asdict(reading),
        **totals,
        "random_next_fraction": (
            totals["train_random_next"] / totals["train_instances"] if config.nsp else None
        ),
        "held_out": held_out_line(config.eval_fraction, totals),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(
        out_dir / INDEX_FILE,
        {
            "format": "bertkit-pretraining-shards",
            "version": 1,
            "vocab_size": len(tokenizer),
            "token_dtype": token_dtype(len(tokenizer)),
            "corpus": [path.name for path in files],
            "config": asdict(config),
            "splits": splits,
            "summary": summary,
        },
    )
    return summary


def held_out_line(eval_fraction: float, totals: dict) -> str:
    """What was held out for evaluation, in words, for the summary."""
    held, kept = totals.get("eval_documents", 0), totals.get("train_documents", 0)
    if held:
        share = held / (held + kept)
        return f"{held} of {held + kept} documents ({share:.1%}) held out for evaluation"
    if eval_fraction == 0:
        return "none: eval_fraction is 0, so pretraining has nothing to evaluate on"
    return (
        f"none: {held + kept} documents, too few to spare (a pool of fewer than "
        f"{MIN_DOCUMENTS_TO_HOLD_OUT} documents holds none out), so pretraining has nothing "
        "to evaluate on"
    )


def _pools(files: list[Path], config: PrepareConfig, stats: CorpusStats) -> Iterator:
    """(pool number, documents) for every `docs_per_shard` documents of every file."""
    number = 0
    for path in files:
        pool = []
        documents = read_documents(path, config.format, stats, max_line_bytes=config.max_line_bytes)
        for document in documents:
            pool.append(document)
            if len(pool) == config.docs_per_shard:
                yield number, pool
                number, pool = number + 1, []
        if pool:
            yield number, pool
            number += 1


def _prepare_pool(
    job: tuple[int, list[list[str]]],
    tokenizer: WordPieceTokenizer,
    out_dir: Path,
    config: PrepareConfig,
) -> tuple[dict, dict]:
    number, texts = job
    rng = np.random.default_rng([config.seed, number])
    documents, counts = [], {"empty_after_tokenizing": 0}
    for sentences in texts:
        document = [ids for ids in (tokenize_sentence(tokenizer, s) for s in sentences) if ids]
        if document:
            documents.append(document)
        else:
            counts["empty_after_tokenizing"] += 1
    is_eval = np.zeros(len(documents), dtype=bool)
    if config.eval_fraction > 0 and len(documents) >= MIN_DOCUMENTS_TO_HOLD_OUT:
        # At least two, so that held-out pairs can have a random B from another held-out document.
        num_eval = max(2, round(config.eval_fraction * len(documents)))
        is_eval[rng.choice(len(documents), num_eval, replace=False)] = True
    vocab = masking_vocab(tokenizer)
    entries = {}
    for split in ("train", "eval"):
        wanted = split == "eval"
        split_documents = [d for d, e in zip(documents, is_eval, strict=True) if e == wanted]
        instances = []
        lengths = {"max_seq_length": config.max_seq_length, "short_seq_prob": config.short_seq_prob}
        specials = {"cls_id": tokenizer.cls_token_id, "sep_id": tokenizer.sep_token_id}
        for _ in range(config.dupe_factor):
            for doc_index in range(len(split_documents)):
                if config.nsp:
                    instances += create_instances(
                        split_documents, doc_index, rng, **specials, **lengths
                    )
                else:
                    instances += create_segments(
                        split_documents[doc_index], rng, **specials, **lengths
                    )
        order = rng.permutation(len(instances))
        instances = [instances[i] for i in order]
        labels = None
        if config.masking == "static":
            labels = []
            for instance in instances:
                masked, instance_labels = mask_tokens(
                    np.array(instance.tokens), vocab, config.masking_config, rng
                )
                instance.tokens = masked.tolist()
                labels.append(instance_labels)
        if instances:
            name = f"{split}-{number:05d}"
            dtype = token_dtype(len(tokenizer))
            entries[split] = write_shard(out_dir, name, instances, dtype, labels)
        counts[f"{split}_instances"] = len(instances)
        counts[f"{split}_documents"] = len(split_documents)
        counts[f"{split}_tokens"] = sum(len(inst.tokens) for inst in instances)
        counts[f"{split}_random_next"] = sum(inst.is_random_next for inst in instances)
    return entries, counts


def _ordered_map(executor, fn, jobs: Iterator, max_in_flight: int) -> Iterator:
    """executor.map with at most `max_in_flight` jobs submitted ahead: bounded memory."""
    pending: deque = deque()
    for job in jobs:
        pending.append(executor.submit(fn, job))
        if len(pending) >= max_in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


class _Inline:
    """A one-worker stand-in for ProcessPoolExecutor: runs each job in this process."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, job):
        from concurrent.futures import Future

        future = Future()
        future.set_result(fn(job))
        return future
