"""SQuAD v1.1 and v2.0 JSON files, and the overlapping question + context windows fed to the model.

A question and its context become windows of `max_length` tokens; consecutive windows share
`stride` context tokens (the tokenizer's `stride`, as in HF), so an answer near a cut is whole in
some window. Training marks the answer's first and last token from the tokenizer's character
offsets; a window that does not hold the whole answer (or a v2.0 question without one) points at
[CLS] (token 0), as BERT's `run_squad.py` does.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.tokenizer.textfile import read_text


@dataclass
class Example:
    id: str
    question: str
    context: str
    answers: list[str]  # gold texts; [] for an unanswerable v2.0 question
    answer_start: int  # character offset of answers[0] in the context; -1 when unanswerable


@dataclass
class ReadResult:
    examples: list[Example]
    is_v2: bool = False  # the file has unanswerable questions (SQuAD v2.0)
    skipped: list[str] = field(default_factory=list)  # one "file:line: why" per skipped question


def read_squad(path: str | Path, limit: int = 0, check_answers: bool = True) -> ReadResult:
    """The questions of a SQuAD file, in file order.

    With `check_answers` (training), a question whose first answer_start does not point at its
    text is skipped and reported; scoring only needs the answer texts.
    Raises BertkitError when the file is not SQuAD JSON or has no question.
    """
    path = Path(path)
    if not path.is_file():
        raise BertkitError(f"{path}: no such file")
    raw = read_text(path)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BertkitError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
    except RecursionError:
        raise BertkitError(f"{path}: JSON nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise BertkitError(f'{path}:1: not a SQuAD file (no top-level "data" list)')

    def where(qid: str) -> str:  # the line of a question, found only when there is a problem
        return f"{path}:{raw.count(chr(10), 0, max(raw.find(json.dumps(qid)), 0)) + 1}"

    def get(record, key: str, kind: type, default, name: str):
        """record[key] checked to be a `kind`; a wrong type names the field."""
        value = record.get(key, default)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise BertkitError(
                f"{path}: field {name}.{key} is {type(value).__name__}, expected {kind.__name__}"
            )
        return value

    result = ReadResult([], is_v2=str(data.get("version", "")).startswith("v2"))
    for a, article in enumerate(data["data"]):
        name = f"data[{a}]"
        if not isinstance(article, dict):
            raise BertkitError(f"{path}: field {name} is not an object")
        for p, paragraph in enumerate(get(article, "paragraphs", list, [], name)):
            name = f"data[{a}].paragraphs[{p}]"
            if not isinstance(paragraph, dict):
                raise BertkitError(f"{path}: field {name} is not an object")
            context = get(paragraph, "context", str, "", name)
            for q, qa in enumerate(get(paragraph, "qas", list, [], name)):
                name = f"data[{a}].paragraphs[{p}].qas[{q}]"
                if not isinstance(qa, dict):
                    raise BertkitError(f"{path}: field {name} is not an object")
                qid = str(qa.get("id", ""))
                question = get(qa, "question", str, "", name)
                if not qid or not question.strip() or not context:
                    result.skipped.append(f"{where(qid)}: question {qid!r} lacks id/text/context")
                    continue
                is_impossible = bool(qa.get("is_impossible", False))
                result.is_v2 |= "is_impossible" in qa
                answers = [] if is_impossible else get(qa, "answers", list, [], name)
                if not is_impossible and not answers:
                    result.skipped.append(f"{where(qid)}: question {qid!r} has no answer")
                    continue
                for i, answer in enumerate(answers):
                    if not isinstance(answer, dict):
                        raise BertkitError(f"{path}: field {name}.answers[{i}] is not an object")
                start = _answer_start(answers[0].get("answer_start", -1)) if answers else -1
                if start is None:
                    raise BertkitError(
                        f"{path}: field {name}.answers[0].answer_start is not an integer"
                    )
                texts = [str(answer.get("text", "")) for answer in answers]
                if check_answers and answers and context[start : start + len(texts[0])] != texts[0]:
                    found = context[max(start, 0) : max(start, 0) + len(texts[0])]
                    result.skipped.append(
                        f"{where(qid)}: question {qid!r}: answer_start {start} points at "
                        f"{found!r}, not at the answer {texts[0]!r}"
                    )
                    continue
                result.examples.append(Example(qid, question.strip(), context, texts, start))
                if limit and len(result.examples) == limit:
                    return result
    if not result.examples:
        raise BertkitError(f"{path}:1: no usable question")
    return result


def _answer_start(value) -> int | None:
    """answer_start as an int (some files write it as a string), None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


@dataclass
class Window:
    input_ids: list[int]
    token_type_ids: list[int]
    offsets: list[tuple[int, int]]  # character span in the context per token ((0, 0) otherwise)
    is_context: list[bool]  # True for the tokens of the context
    example: int  # index of the question this window belongs to
    start_position: int = 0  # answer's first token (0 = [CLS]: no answer in this window)
    end_position: int = 0


def encode_examples(
    tokenizer, examples: list[Example], max_length: int, stride: int, is_training: bool
) -> list[Window]:
    """All windows of all questions; with `is_training`, the answer's token positions too."""
    encodings = tokenizer.encode_batch(
        [e.question for e in examples],
        [e.context for e in examples],
        max_length=max_length,
        truncation="only_second",
        stride=stride,
        return_overflowing=True,
    )
    windows = []
    for encoding in encodings:
        is_context = [s == 1 for s in encoding.sequence_ids]
        window = Window(
            encoding.input_ids,
            encoding.token_type_ids,
            [
                span if inside else (0, 0)
                for span, inside in zip(encoding.offsets, is_context, strict=True)
            ],
            is_context,
            encoding.overflow_to_sample,
        )
        example = examples[window.example]
        if is_training and example.answers:
            end_char = example.answer_start + len(example.answers[0])
            window.start_position, window.end_position = answer_tokens(
                window.offsets, is_context, example.answer_start, end_char
            )
        windows.append(window)
    return windows


def answer_tokens(
    offsets: list[tuple[int, int]], is_context: list[bool], start_char: int, end_char: int
) -> tuple[int, int]:
    """First and last token of the characters [start_char, end_char), or (0, 0) when the window
    does not contain all of them."""
    context = [i for i, inside in enumerate(is_context) if inside]
    if not context or offsets[context[0]][0] > start_char or offsets[context[-1]][1] < end_char:
        return 0, 0
    first = next(i for i in context if offsets[i][1] > start_char)
    last = next(i for i in reversed(context) if offsets[i][0] < end_char)
    return first, last


def collate(windows: list[Window], pad_id: int, is_training: bool) -> dict:
    # torch is imported here: the QA pipeline encodes windows with this module on the ONNX
    # runtime, which runs without PyTorch.
    import torch

    from bertkit.tasks.batching import encoder_inputs

    batch = encoder_inputs(windows, pad_id)
    if is_training:
        batch["start_positions"] = torch.tensor([w.start_position for w in windows])
        batch["end_positions"] = torch.tensor([w.end_position for w in windows])
    return batch
