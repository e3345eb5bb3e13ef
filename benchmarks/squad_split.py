"""Split a SQuAD file by article: the first N articles to train on, the rest to score on.

Only SQuAD v1.1 dev is available offline, so the fine-tuning runs train on its first 38 articles
and score on the last 10:

    python benchmarks/squad_split.py $BERTKIT_DATA/squad-v1.1/dev-v1.1.json runs/data \\
        --train-articles 38
"""

import argparse
import json
from pathlib import Path

from bertkit.files import write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("squad", type=Path, help="a SQuAD JSON file")
    parser.add_argument("out", type=Path, help="folder for train.json and eval.json")
    parser.add_argument("--train-articles", type=int, default=38)
    args = parser.parse_args()
    data = json.loads(args.squad.read_text(encoding="utf-8"))
    articles = data["data"]
    if not 0 < args.train_articles < len(articles):
        parser.error(f"{args.squad} has {len(articles)} articles; --train-articles must be less")
    for name, part in (
        ("train", articles[: args.train_articles]),
        ("eval", articles[args.train_articles :]),
    ):
        path = args.out / f"{name}.json"
        write_json(path, {"version": data.get("version", ""), "data": part})
        questions = sum(len(p["qas"]) for a in part for p in a["paragraphs"])
        print(f"{path}: {len(part)} articles, {questions} questions")


if __name__ == "__main__":
    main()
