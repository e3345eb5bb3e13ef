"""Progress bars for people and for logs: `progress_bar(...)` takes tqdm's arguments.

On a terminal it is tqdm's bar. When the bar's stream is not a terminal (a log file, a CI job, a
pipe) tqdm would still write carriage returns, which a log shows as one endless line or as
hundreds of lines; there it prints a plain line every `interval` seconds and one at the end.
`time_bar` counts seconds against a time limit instead of items against a total.
"""

import sys

from tqdm import tqdm
from tqdm.auto import tqdm as terminal_tqdm

LOG_INTERVAL = 30.0  # seconds between two lines of a bar written to a log


class LogBar(tqdm):
    """A tqdm that writes whole lines (no carriage return) at most every `mininterval` seconds,
    and one line when it closes, unless its count is unchanged since the last line."""

    _logged_n: float | None = None

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if msg == "" or (msg is None and self.n == self._logged_n):
            return True  # tqdm clears a line it will rewrite; a log keeps its lines
        self._logged_n = self.n
        self.fp.write((msg if msg is not None else str(self)) + "\n")
        self.fp.flush()
        return True

    def clear(self, nolock: bool = False) -> None:
        """Nothing to clear in a log: lines are never overwritten."""

    def close(self) -> None:
        if not self.disable and not self.leave:
            self.display()  # a log keeps the final count, even of a bar that would vanish
        super().close()


class _Lines:
    """A stream that drops the carriage returns and blank lines tqdm writes around its bars."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.replace("\r", "")
        if text.strip():
            self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(iterable=None, *, interval: float = LOG_INTERVAL, **kwargs) -> tqdm:
    """`tqdm(iterable, **kwargs)`, or a `LogBar` when its stream is not a terminal.

    `interval` is the log's seconds between lines; `disable=True` silences both kinds.
    """
    stream = kwargs.get("file") or sys.stderr
    is_terminal = hasattr(stream, "isatty") and stream.isatty()
    if is_terminal:
        return terminal_tqdm(iterable, **kwargs)
    kwargs.setdefault("mininterval", interval)
    kwargs["file"] = _Lines(stream)
    return LogBar(iterable, **kwargs)


def time_bar(
    seconds: float, elapsed: float = 0.0, *, interval: float = LOG_INTERVAL, **kwargs
) -> tqdm:
    """A bar of the seconds used out of a time limit (`bar.update(seconds)`), e.g.
    `train:  40%|####      | 72/180 s, step 35, loss 7.1234`: how far a time-limited job is,
    where a count of items would only show a cap. Other arguments as `progress_bar`."""
    layout = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s{postfix}"
    return progress_bar(
        total=seconds, initial=elapsed, interval=interval, bar_format=layout, **kwargs
    )
