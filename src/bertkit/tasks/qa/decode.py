"""From start/end logits to an answer: n-best spans per window, the best over all windows.

As in BERT's `run_squad.py` (Devlin et al. 2018, section 4.2-4.3): a span scores start + end
logit; only spans inside the context, with end >= start and at most `max_answer_length` tokens,
built from the `n_best` highest starts and ends, are candidates. The null ("no answer") score is
the [CLS] start + end, its lowest value over the windows. Character offsets map the span back to
the exact characters of the context. Pure functions, reused by the pipelines.
"""

from dataclasses import dataclass

import numpy as np

from bertkit.tasks.classify.decode import top_k


@dataclass
class Window:
    """One model input of a question: its logits and where each token sits in the context."""

    start_logits: np.ndarray  # (T,) (or a CPU tensor)
    end_logits: np.ndarray  # (T,)
    offsets: list[tuple[int, int]]  # character span in the context per token
    is_context: list[bool]  # True for tokens of the context (not question, specials, padding)


@dataclass
class Span:
    start: int  # first character in the context
    end: int  # one past the last character
    text: str
    score: float


def window_spans(
    window: Window, context: str, n_best: int = 20, max_answer_length: int = 30
) -> list[Span]:
    """The candidate spans of one window, best first (at most n_best * n_best before sorting)."""
    num_tokens = len(window.offsets)
    k = min(n_best, num_tokens)
    start_logits = np.asarray(window.start_logits, dtype=np.float32)[:num_tokens]
    end_logits = np.asarray(window.end_logits, dtype=np.float32)[:num_tokens]
    starts = top_k(start_logits, k)[1].tolist()
    ends = top_k(end_logits, k)[1].tolist()
    spans = []
    for s in starts:
        for e in ends:
            if not (window.is_context[s] and window.is_context[e]):
                continue
            if e < s or e - s + 1 > max_answer_length:
                continue
            begin, finish = window.offsets[s][0], window.offsets[e][1]
            score = float(start_logits[s] + end_logits[e])
            spans.append(Span(begin, finish, context[begin:finish], score))
    return sorted(spans, key=lambda span: span.score, reverse=True)


def null_score(window: Window) -> float:
    """Score of "no answer" in this window: start and end both on [CLS] (token 0)."""
    return float(window.start_logits[0] + window.end_logits[0])


def best_answer(
    windows: list[Window], context: str, n_best: int = 20, max_answer_length: int = 30
) -> tuple[Span | None, float]:
    """The best span over all windows of one question (None if no window has a valid one), and
    the lowest null score over the windows."""
    candidates = [
        span
        for window in windows
        for span in window_spans(window, context, n_best, max_answer_length)
    ]
    best = max(candidates, key=lambda span: span.score) if candidates else None
    return best, min(null_score(window) for window in windows)


def choose_answer(best: Span | None, null: float, null_threshold: float | None) -> str:
    """The answer text: the span, or "" when the null score beats it by more than the threshold
    (SQuAD v2.0; `null_threshold=None` always answers, as v1.1 requires)."""
    if best is None:
        return ""
    if null_threshold is not None and null - best.score > null_threshold:
        return ""
    return best.text
