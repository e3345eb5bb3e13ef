"""Device helpers: which chip a run uses, and whether the CPU computes bf16 natively."""

from pathlib import Path

import pytest
import torch

from bertkit.train.device import cpu_has_native_bf16, resolve_device


def test_native_bf16_agrees_with_the_cpu_flags_linux_reports():
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("no /proc/cpuinfo on this system")
    flags = set(cpuinfo.read_text().split())
    assert cpu_has_native_bf16() == bool(flags & {"avx512_bf16", "amx_bf16", "amx_tile"})


def test_auto_device_is_cpu_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert resolve_device("auto") == torch.device("cpu")
