"""What every fuzz test shares: the hypothesis settings, input strategies, and the one property.

The property: a reader given any bytes either returns a result or raises one `BertkitError` whose
message names the file; any other exception is a finding. CI runs a short profile (50 examples per
reader); `BERTKIT_FUZZ_EXAMPLES=10000` runs the long campaign (`benchmarks/fuzz.py` drives it and
collects the counts that `BERTKIT_FUZZ_LOG=path.json` makes each test process write).
"""

import atexit
import json
import os
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bertkit.errors import BertkitError

EXAMPLES = int(os.environ.get("BERTKIT_FUZZ_EXAMPLES", "50"))
settings.register_profile(
    "bertkit-fuzz",
    max_examples=EXAMPLES,
    # A reader that takes a minute on a few kilobytes hangs. CI has no per-example deadline: on a
    # busy machine wall time says little, and the suite's own time limit catches a real hang.
    deadline=timedelta(seconds=60) if EXAMPLES > 100 else None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("bertkit-fuzz")

# reader -> outcome ("ok" or "error") -> cases, written at exit when BERTKIT_FUZZ_LOG is set.
COUNTS: dict[str, Counter] = {}


def _write_counts() -> None:
    log = os.environ.get("BERTKIT_FUZZ_LOG")
    if log and COUNTS:
        Path(log).write_text(json.dumps({k: dict(v) for k, v in COUNTS.items()}, indent=1))


atexit.register(_write_counts)

SCRATCH = Path(tempfile.mkdtemp(prefix="bertkit-fuzz-"))


def scratch(name: str) -> Path:
    """A fresh empty folder for one example (hypothesis cannot use the function-scoped tmp_path)."""
    folder = Path(tempfile.mkdtemp(dir=SCRATCH))
    return folder / name if name else folder


def check(reader: str, function, *args, names: tuple[str, ...] = (), **kwargs):
    """Call `function`; it must return, or raise a one-line BertkitError naming one of `names`."""
    try:
        result = function(*args, **kwargs)
    except BertkitError as error:
        message = str(error)
        assert "\n" not in message, f"a multi-line error: {message!r}"
        assert any(name in message for name in names), f"{message!r} names none of {names}"
        COUNTS.setdefault(reader, Counter())["error"] += 1
        return None
    COUNTS.setdefault(reader, Counter())["ok"] += 1
    return result


# Text that looks like the formats (separators, digits, quotes, tags) mixed with anything at all.
FORMAT_CHARS = "\t\n\r ,\"'{}[]:#-=.0123456789OBIabcXYZ\\\x00\x85\u2028\ufeff\u00e9\u4e2d"
chars = st.characters(exclude_categories=("Cs",))  # any character UTF-8 can encode


def texts(max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=chars, max_size=max_size)


format_text = st.text(alphabet=st.sampled_from(FORMAT_CHARS) | chars, max_size=400)
any_bytes = st.binary(max_size=4096)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def encoded(text_strategy=format_text):
    """Text in UTF-8, Latin-1 or UTF-16 (mixed encodings), or raw bytes."""
    encodings = st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"])
    as_bytes = st.tuples(text_strategy, encodings).map(
        lambda pair: pair[0].encode(pair[1], errors="replace")
    )
    return as_bytes | any_bytes
