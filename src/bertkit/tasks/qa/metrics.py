"""SQuAD exact match and F1, as the official v1.1 and v2.0 evaluation scripts define them.

Answers are normalised (lower case, punctuation and the articles a/an/the removed, whitespace
collapsed) before comparing; each question scores the maximum over its gold answers. For v2.0, an
unanswerable question has no gold answers and only the empty prediction scores 1, and
`best_null_threshold` picks the null-score margin that maximises F1, as the v2.0 script's
`find_best_thresh` does. Scores are fractions in [0, 1]; the scripts print them times 100.
"""

import re
import string
from collections import Counter

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str, is_v2: bool = False) -> float:
    """Bag-of-words F1 of the normalised answers. Two answers that normalise to nothing score 1
    under v2.0 (no answer is right) and 0 under v1.1, as the two official scripts do."""
    pred_tokens, gold_tokens = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if is_v2 and (not pred_tokens or not gold_tokens):
        return float(pred_tokens == gold_tokens)
    num_same = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if num_same == 0:
        return 0.0
    precision, recall = num_same / len(pred_tokens), num_same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def question_scores(prediction: str, golds: list[str], is_v2: bool = False) -> tuple[float, float]:
    """(exact match, F1) of one prediction: the best over the gold answers ([] = unanswerable)."""
    golds = golds or [""]
    em = max(exact_match(prediction, g) for g in golds)
    return em, max(token_f1(prediction, g, is_v2) for g in golds)


def squad_scores(
    predictions: dict[str, str], golds: dict[str, list[str]], is_v2: bool = False
) -> dict:
    """exact_match and f1 averaged over every gold question (a missing prediction scores 0)."""
    if not golds:
        raise ValueError("no gold questions to score")
    total_em = total_f1 = 0.0
    for qid, answers in golds.items():
        if qid in predictions:
            em, f1 = question_scores(predictions[qid], answers, is_v2)
            total_em, total_f1 = total_em + em, total_f1 + f1
    return {"exact_match": total_em / len(golds), "f1": total_f1 / len(golds)}


def best_null_threshold(
    span_predictions: dict[str, str], null_margins: dict[str, float], golds: dict[str, list[str]]
) -> tuple[float, dict]:
    """The margin above which predicting "no answer" maximises F1, and the scores it gives.

    Args:
        span_predictions: the best non-empty span per question.
        null_margins: null score minus best span score per question; the answer is empty
            when the margin is above the threshold.
        golds: gold answers per question, [] for unanswerable ones.
    Returns:
        (threshold, {"exact_match", "f1"}) at that threshold.
    """
    if not golds:
        raise ValueError("no gold questions to score")
    # Start from "no answer" everywhere, then answer the questions one at a time in increasing
    # order of margin; the threshold is the margin of the last question answered at the best F1.
    order = sorted(golds, key=lambda qid: null_margins[qid])
    null_f1 = {qid: question_scores("", golds[qid], is_v2=True)[1] for qid in order}
    span_f1 = {
        qid: question_scores(span_predictions[qid], golds[qid], is_v2=True)[1] for qid in order
    }
    running = best = sum(null_f1.values())
    threshold = null_margins[order[0]] - 1.0
    for qid in order:
        running += span_f1[qid] - null_f1[qid]
        if running > best:
            best, threshold = running, null_margins[qid]
    final = {qid: "" if null_margins[qid] > threshold else span_predictions[qid] for qid in golds}
    return threshold, squad_scores(final, golds, is_v2=True)
