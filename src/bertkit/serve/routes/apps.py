"""Applications on an encoder's vectors: `POST /summarize` (an extractive summary) and
`POST /score` (BERTScore), as `bertkit summarize` and `bertkit score` compute them.

    {"inputs": TEXT, "sentences": 3}        -> [{"text", "start", "end", "index", "score"}]
    {"inputs": [TEXT, ...], "ratio": 0.2}   -> one such list per text
    {"candidates": [...], "references": [...], "layer": -1, "idf": false}
        -> {"scores": [{"precision", "recall", "f1"}, ...], "corpus": {"precision", ...}}

Summaries embed their sentences through the model's embed batcher. BERTScore needs one layer's
token vectors, which the embed pipeline's encoder gives: it runs on a model thread (holding
that thread's unit of the gate, as a batch does), with the thread's own copy of the pipeline.
"""

import asyncio
import dataclasses

from fastapi import APIRouter, Request

from bertkit.errors import BertkitError
from bertkit.pipelines.bertscore import check_layer, corpus_score, score_pairs
from bertkit.pipelines.sentences import split_sentences
from bertkit.pipelines.summarize import (
    DEFAULT_DIVERSITY,
    SummarySentence,
    choose_sentences,
    summary_size,
)
from bertkit.serve import body
from bertkit.serve.errors import invalid
from bertkit.serve.routes.embed import embed_texts
from bertkit.serve.state import check_lengths, respond, server

router = APIRouter()


def number(data: dict, field: str, low: float, high: float) -> float | None:
    """An optional number in [low, high]."""
    value = data.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise invalid(f"'{field}' must be a number in [{low}, {high}]")
    return float(value)


@router.post("/summarize")
async def summarize(request: Request):
    data = await body.read_json(request)
    state = server(request)
    texts, is_single = body.texts(data, "inputs", state.settings.max_inputs_per_request)
    sentences = data.get("sentences")
    if sentences is not None and (isinstance(sentences, bool) or not isinstance(sentences, int)):
        raise invalid("'sentences' must be an integer")
    ratio = number(data, "ratio", 0, 1)
    diversity = number(data, "diversity", 0, 1)
    diversity = DEFAULT_DIVERSITY if diversity is None else diversity
    splits = [split_sentences(text) for text in texts]
    sizes = []
    for i, split in enumerate(splits):
        try:
            sizes.append(summary_size(len(split), sentences, ratio))
        except BertkitError as error:
            raise invalid(f"{'' if is_single else f'input {i}: '}{error}") from None
    flat = [s.text for split in splits for s in split]
    if len(flat) > state.settings.max_inputs_per_request * 64:
        raise invalid(f"{len(flat)} sentences in one request, more than the limit")
    vectors, _, timing, _ = await embed_texts(request, data, flat, True)
    content, position = [], 0
    for split, k in zip(splits, sizes, strict=True):
        rows = vectors[position : position + len(split)]
        position += len(split)
        chosen, centrality = choose_sentences(rows, k, diversity)
        content.append(
            [
                dataclasses.asdict(SummarySentence(s.text, s.start, s.end, i, float(centrality[i])))
                for i, s in ((i, split[i]) for i in chosen)
            ]
        )
    return respond(request, content[0] if is_single else content, timing)


@router.post("/score")
async def score(request: Request):
    data = await body.read_json(request)
    state = server(request)
    limit = state.settings.max_inputs_per_request
    candidates, _ = strings(data, "candidates", limit)
    references, _ = strings(data, "references", limit)
    if len(candidates) != len(references):
        raise invalid(
            f"{len(candidates)} candidates but {len(references)} references; "
            "candidate i is scored against reference i"
        )
    layer = body.integer(data, "layer", -1, -1000, 1000)
    idf = body.flag(data, "idf", False)
    truncate = body.flag(data, "truncate", False)
    model = state.model(data)
    pipe = model.pipeline("embed")
    try:
        layer = check_layer(pipe, layer)
    except BertkitError as error:
        raise invalid(str(error)) from None
    encodings = await state.encode(model, [t.strip() for t in candidates + references])
    check_lengths(encodings, pipe.max_length, truncate)

    def run():
        return score_pairs(model.replica("embed"), layer, idf, candidates, references)

    async with state.gate:  # one model thread's unit, as a batch holds it
        scores = await asyncio.get_running_loop().run_in_executor(state.executor, run)
    content = {
        "scores": [dataclasses.asdict(s) for s in scores],
        "corpus": dataclasses.asdict(corpus_score(scores)),
    }
    return respond(request, content)


def strings(data: dict, field: str, max_items: int) -> tuple[list[str], bool]:
    """A string or a non-empty list of strings; unlike `body.texts`, an empty text is allowed
    (it scores 0, as in bert-score)."""
    value = data.get(field)
    if isinstance(value, str):
        return [value], True
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise invalid(f"'{field}' must be a string or a non-empty list of strings")
    if len(value) > max_items:
        raise invalid(f"'{field}' has {len(value)} texts, more than the limit of {max_items}")
    return value, False
