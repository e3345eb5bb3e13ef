"""Pretraining data larger than the memory a process may use is read through memory maps.

A child process caps its private memory (RLIMIT_DATA: heap and anonymous maps, which is where a
reader that loaded the shards would put them) at 64 MB above what its imports use, then reads
batches from a 512 MB shard folder. Read-only file maps are outside the cap, so batches come out
right, while loading the same tokens into memory fails with MemoryError (the cap is real).
The 512 MB tokens file is sparse: only the instances read hold real ids, so the test writes little.
"""

import json
import subprocess
import sys

import numpy as np

from bertkit.data.masking import MaskingConfig
from bertkit.data.shards import INSTANCE_FIELDS
from bertkit.tokenizer import WordPieceTokenizer
from tests.data.synthetic import VOCAB, write_vocab

LENGTH = 512  # tokens per instance
TOKENS_BYTES = 512 * 2**20
SAMPLED = 48  # instances given real token ids, spread over the whole file

CHILD = r"""
import json, re, resource, sys
import numpy as np
from bertkit.data.dataset import PretrainingData

def status(key):
    return int(re.search(key + r":\s+(\d+)", open("/proc/self/status").read()).group(1)) * 1024

directory, indices = sys.argv[1], json.loads(sys.argv[2])
limit = status("VmData") + 64 * 2**20
resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.RLIM_INFINITY))
data = PretrainingData(directory)
batch = data.collate(np.array(indices), epoch=0)
try:
    np.fromfile(f"{directory}/train-00000.tokens.bin", dtype=np.uint16)
    loaded = True
except MemoryError:
    loaded = False
print(json.dumps({
    "limit": limit, "vm_data": status("VmData"), "peak_rss": status("VmHWM"),
    "loading_fits": loaded, "input_ids": batch["input_ids"].tolist(),
    "labels": batch["labels"].tolist(),
}))
"""


def write_big_folder(directory) -> dict[int, list[int]]:
    """A prepared-folder layout with one 512 MB shard; returns {instance: its token ids}."""
    tokenizer = WordPieceTokenizer.from_pretrained(write_vocab(directory / "vocab"))
    tokenizer.save_pretrained(directory)
    num_tokens = TOKENS_BYTES // 2
    num_instances = num_tokens // LENGTH
    table = np.zeros((num_instances, INSTANCE_FIELDS), dtype=np.int64)
    table[:, 0] = np.arange(num_instances) * LENGTH
    table[:, 1] = LENGTH
    table[:, 2] = LENGTH // 2
    table.tofile(directory / "train-00000.instances.bin")
    rng = np.random.default_rng(0)
    written = {}
    with (directory / "train-00000.tokens.bin").open("wb") as f:
        f.truncate(TOKENS_BYTES)  # sparse: zeros ([PAD]) except where we write below
        for index in np.linspace(0, num_instances - 1, SAMPLED).astype(int).tolist():
            ids = rng.integers(5, len(VOCAB), LENGTH).astype(np.uint16)
            f.seek(index * LENGTH * 2)
            f.write(ids.tobytes())
            written[index] = ids.tolist()
    index = {
        "format": "bertkit-pretraining-shards",
        "version": 1,
        "vocab_size": len(VOCAB),
        "token_dtype": "uint16",
        "config": {
            "masking": "dynamic",
            "max_seq_length": LENGTH,
            "masking_config": MaskingConfig().__dict__,
            "nsp": True,
        },
        "splits": {
            "train": [{"name": "train-00000", "instances": num_instances, "tokens": num_tokens}]
        },
    }
    (directory / "index.json").write_text(json.dumps(index))
    return written


def test_a_folder_larger_than_the_memory_cap_is_read_through_maps(tmp_path):
    written = write_big_folder(tmp_path)
    indices = sorted(written)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), json.dumps(indices)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr[-2000:]
    result = json.loads(child.stdout)
    mb = 2**20
    print(f"cap {result['limit'] / mb:.0f} MB private memory, folder {TOKENS_BYTES / mb:.0f} MB, "
          f"peak RSS {result['peak_rss'] / mb:.0f} MB")  # fmt: skip
    assert not result["loading_fits"], "the cap did not stop loading the shard into memory"
    assert TOKENS_BYTES > result["limit"], "the folder must be larger than the whole cap"
    for row, index in enumerate(indices):
        ids, labels = np.array(result["input_ids"][row]), np.array(result["labels"][row])
        kept = labels == -100  # tokens not chosen for masking are read back unchanged
        assert kept.mean() > 0.7
        assert (ids[kept] == np.array(written[index])[kept]).all()
