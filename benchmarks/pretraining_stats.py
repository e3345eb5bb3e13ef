"""Instance statistics of a prepared pretraining folder, as the pretraining issue checks them.

    python benchmarks/pretraining_stats.py DATA_DIR [--split train] [--epoch 0]

Share of random-next pairs, share of non-special tokens selected for MLM, and among those the
shares replaced by [MASK], by a random token and kept (masks of `--epoch` for dynamic masking);
also counts selected special tokens, which must be 0.
"""

import argparse
import json

import numpy as np

from bertkit.data.dataset import PretrainingData


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", help="a folder from bertkit prepare-pretraining")
    parser.add_argument("--split", default="train")
    parser.add_argument("--epoch", type=int, default=0)
    args = parser.parse_args()

    data = PretrainingData(args.data, args.split)
    tokenizer = data.tokenizer
    special = np.array(tokenizer.convert_tokens_to_ids(tokenizer.all_special_tokens))
    mask_id = tokenizer.convert_tokens_to_ids(tokenizer.mask_token)
    counts = dict.fromkeys(("random_next", "non_special", "selected", "mask", "kept"), 0)
    counts["special_selected"] = 0
    for index in range(len(data)):
        original, _, is_random_next, _ = data.reader.get(index)
        ids, labels, _, _ = data.example(index, args.epoch)
        is_special = np.isin(original, special)
        selected = labels != -100
        counts["random_next"] += int(is_random_next)
        counts["non_special"] += int((~is_special).sum())
        counts["selected"] += int(selected.sum())
        counts["special_selected"] += int((selected & is_special).sum())
        counts["mask"] += int((ids[selected] == mask_id).sum())
        counts["kept"] += int((ids[selected] == original[selected]).sum())
    selected = counts["selected"]
    print(
        json.dumps(
            {
                "instances": len(data),
                "random_next": counts["random_next"] / len(data),
                "selected_of_non_special": selected / counts["non_special"],
                "mask": counts["mask"] / selected,
                "random": (selected - counts["mask"] - counts["kept"]) / selected,
                "kept": counts["kept"] / selected,
                "special_tokens_selected": counts["special_selected"],
            }
        )
    )


if __name__ == "__main__":
    main()
