"""Entity-level precision, recall and F1 as the CoNLL-2000/2003 `conlleval` script defines them.

A chunk (entity) is a maximal run of tags of one type; it starts and ends by conlleval's rules on
the (previous tag, tag) pair, so IOB1, BIO and IOBES all read the same way and an `I-X` after `O`
(or after another type) opens a new chunk. A predicted chunk is correct when its type, first and
last word all match a gold chunk. Sentences are scored independently (conlleval puts a boundary
between them). Scores are fractions in [0, 1]; conlleval prints them times 100.
"""

from dataclasses import dataclass

Chunk = tuple[str, int, int]  # (type, first word, last word), inclusive


def split_tag(tag: str) -> tuple[str, str]:
    """'B-PER' -> ('B', 'PER'); 'O' -> ('O', ''). A tag without a prefix is inside its type."""
    if tag == "O":
        return "O", ""
    prefix, sep, kind = tag.partition("-")
    if not sep:
        return "I", tag
    return prefix, kind


def is_chunk_end(prev_prefix: str, prev_type: str, prefix: str, kind: str) -> bool:
    """Did a chunk end between the previous word and this one?"""
    if prev_prefix in ("E", "S"):
        return True
    if prev_prefix in ("B", "I") and prefix in ("B", "S", "O"):
        return True
    return prev_prefix != "O" and prev_type != kind


def is_chunk_start(prev_prefix: str, prev_type: str, prefix: str, kind: str) -> bool:
    """Did a chunk start at this word?"""
    if prefix in ("B", "S"):
        return True
    if prev_prefix in ("E", "S", "O") and prefix in ("E", "I"):
        return True
    return prefix != "O" and prev_type != kind


def extract_chunks(tags: list[str]) -> list[Chunk]:
    """The chunks of one sentence, in order."""
    chunks = []
    prev_prefix, prev_type, begin = "O", "", 0
    for i, tag in enumerate([*tags, "O"]):  # a final "O" closes the last chunk
        prefix, kind = split_tag(tag)
        if is_chunk_end(prev_prefix, prev_type, prefix, kind):
            chunks.append((prev_type, begin, i - 1))
        if is_chunk_start(prev_prefix, prev_type, prefix, kind):
            begin = i
        prev_prefix, prev_type = prefix, kind
    return chunks


@dataclass
class ChunkCounts:
    correct: int = 0
    predicted: int = 0
    gold: int = 0

    def scores(self) -> dict:
        precision = self.correct / self.predicted if self.predicted else 0.0
        recall = self.correct / self.gold if self.gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "number": self.gold}


def entity_scores(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """conlleval's overall and per-type precision/recall/F1, plus token accuracy.

    Args:
        gold, predicted: one list of tags per sentence, with the same lengths.
    Returns:
        {"precision", "recall", "f1", "accuracy", "per_type": {type: {precision, recall, f1,
        number}}}, where `number` is the count of gold entities of that type.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    total, per_type = ChunkCounts(), {}
    correct_tags = num_tags = 0
    for i, (gold_tags, pred_tags) in enumerate(zip(gold, predicted, strict=True)):
        if len(gold_tags) != len(pred_tags):
            raise ValueError(
                f"sentence {i}: {len(gold_tags)} gold tags, {len(pred_tags)} predicted"
            )
        gold_chunks, pred_chunks = extract_chunks(gold_tags), extract_chunks(pred_tags)
        correct = set(gold_chunks) & set(pred_chunks)
        for chunks, field in (
            (gold_chunks, "gold"),
            (pred_chunks, "predicted"),
            (correct, "correct"),
        ):
            for kind, _, _ in chunks:
                counts = per_type.setdefault(kind, ChunkCounts())
                setattr(counts, field, getattr(counts, field) + 1)
                setattr(total, field, getattr(total, field) + 1)
        correct_tags += sum(g == p for g, p in zip(gold_tags, pred_tags, strict=True))
        num_tags += len(gold_tags)
    overall = total.scores()
    return {
        "precision": overall["precision"],
        "recall": overall["recall"],
        "f1": overall["f1"],
        "accuracy": correct_tags / num_tags if num_tags else 0.0,
        "per_type": {kind: per_type[kind].scores() for kind in sorted(per_type)},
    }
