"""bertkit.progress: a bar on a terminal, plain periodic lines in a log."""

import io

from tqdm.auto import tqdm as terminal_tqdm

from bertkit.progress import LogBar, progress_bar, time_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_whole_lines_without_carriage_returns():
    log = io.StringIO()
    for _ in progress_bar(range(1000), desc="work", file=log, interval=0):
        pass
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0].startswith("work:   0%") and "1000/1000" in lines[-1]
    assert all(line.startswith("work:") for line in lines)  # no blank lines


def test_a_log_line_comes_at_most_once_per_interval_and_at_the_end():
    log = io.StringIO()
    with progress_bar(total=500, desc="slow", file=log, interval=3600, leave=False) as bar:
        for _ in range(500):
            bar.update(1)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2  # the start and the final count, nothing in between
    assert "500/500" in lines[1]


def test_a_terminal_gets_tqdms_bar_and_disable_silences_both():
    terminal = Terminal()
    bar = progress_bar(total=3, file=terminal)
    assert isinstance(bar, terminal_tqdm) and not isinstance(bar, LogBar)
    bar.update(3)
    bar.close()
    assert "\r" in terminal.getvalue()
    log = io.StringIO()
    with progress_bar(total=3, file=log, disable=True) as bar:
        bar.update(3)
    assert log.getvalue() == ""


def test_a_time_bar_counts_seconds_against_the_limit_with_its_postfix():
    log = io.StringIO()
    bar = time_bar(180, 10.4, desc="train", file=log, interval=0, postfix="step 3")
    bar.set_postfix_str("step 5, loss 7.1000", refresh=False)
    bar.update(62)
    bar.close()
    first, last = log.getvalue().splitlines()
    assert first == "train:   6%|5         | 10/180 s, step 3"
    assert last == "train:  40%|####      | 72/180 s, step 5, loss 7.1000"
