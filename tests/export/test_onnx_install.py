"""The deployable install: a fresh virtualenv without PyTorch, holding numpy, onnxruntime, tqdm
and bertkit (installed with --no-deps, as the README's ONNX recipe says), runs `bertkit embed` on
an exported directory and gives bertkit's embeddings."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bertkit.pipelines import pipeline
from tests.conftest import REPO

# The ONNX extra of pyproject.toml: what the torch-free runtime imports.
ONNX_PACKAGES = ["numpy>=1.24", "onnxruntime>=1.16", "tqdm>=4.60"]
TEXTS = ["A man is playing a guitar.", "The bank of the river was flooded."]
CHECK = """
import importlib.util, json, sys
from bertkit.pipelines import pipeline
vectors = pipeline("embed", sys.argv[1])(sys.argv[2:])
print(json.dumps({"torch_installed": importlib.util.find_spec("torch") is not None,
                  "torch_imported": "torch" in sys.modules, "vectors": vectors.tolist()}))
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def onnx_venv(tmp_path_factory) -> Path:
    """A virtualenv with the ONNX extra's packages and bertkit, and no torch."""
    root = tmp_path_factory.mktemp("onnx-venv")
    venv = root / "venv"
    assert run(sys.executable, "-m", "venv", str(venv)).returncode == 0
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    # setuptools builds bertkit here (a license given as an SPDX string needs >= 77).
    fetched = run(*pip, *ONNX_PACKAGES, "setuptools>=77")
    if fetched.returncode != 0:
        pytest.skip(f"no package index reachable for {ONNX_PACKAGES}: {fetched.stderr[-300:]}")
    source = root / "source"  # a copy, so that building leaves the repository clean
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, source / name)
    built = run(*pip, "--no-deps", "--no-build-isolation", str(source))
    assert built.returncode == 0, built.stderr[-2000:]
    return venv


def test_fresh_install_without_torch_embeds_an_exported_directory(
    onnx_venv, minilm_onnx, minilm_dir
):
    model = str(minilm_onnx[True])
    checked = run(str(onnx_venv / "bin" / "python"), "-c", CHECK, model, *TEXTS)
    assert checked.returncode == 0, checked.stderr[-2000:]
    result = json.loads(checked.stdout)
    assert not result["torch_installed"] and not result["torch_imported"]
    expected = pipeline("embed", minilm_dir)(TEXTS)
    assert (np.array(result["vectors"]) * expected).sum(-1).min() >= 0.99999

    cli = run(str(onnx_venv / "bin" / "bertkit"), "embed", "--model", model, *TEXTS)
    assert cli.returncode == 0, cli.stderr[-2000:]
    rows = [json.loads(line) for line in cli.stdout.splitlines()]
    assert (np.array(rows) * expected).sum(-1).min() >= 0.99999
    refused = run(str(onnx_venv / "bin" / "bertkit"), "pretrain")
    assert refused.returncode == 2 and "needs torch, which is not installed" in refused.stderr
