"""What this CPU computes fast: its instruction-set flags, read once.

`cpu_flags()` reads /proc/cpuinfo (Linux); elsewhere it is empty and callers take the portable
choice. `BERTKIT_CPU_FLAGS` (space-separated) replaces the flags, for tests and to pin a choice.
"""

import functools
import os
from pathlib import Path

# Flags that make a precision fast: bf16 matmuls (AMX tiles or AVX-512 BF16 dot products) and
# int8 dot products that take uint8 x int8 without saturating 16-bit sums (VNNI, AMX).
BF16_FLAGS = ("amx_bf16", "avx512_bf16")
VNNI_FLAGS = ("amx_int8", "avx512_vnni", "avx_vnni")


@functools.cache
def cpu_flags() -> frozenset[str]:
    """This CPU's flags (lower case), from BERTKIT_CPU_FLAGS or /proc/cpuinfo; empty if unknown."""
    override = os.environ.get("BERTKIT_CPU_FLAGS")
    if override is not None:
        return frozenset(override.lower().split())
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def has_fast_bf16(flags: frozenset[str] | None = None) -> bool:
    """Whether the CPU multiplies bf16 in hardware (else bf16 matmuls are emulated, slower)."""
    return any(f in (cpu_flags() if flags is None else flags) for f in BF16_FLAGS)


def has_vnni(flags: frozenset[str] | None = None) -> bool:
    """Whether the CPU has int8 dot-product instructions (VNNI or AMX)."""
    return any(f in (cpu_flags() if flags is None else flags) for f in VNNI_FLAGS)
