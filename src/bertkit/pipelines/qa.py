"""qa: the answer to a question as text, character span and score, over a context of any length.

The question and context are cut into overlapping windows as in fine-tuning (`tasks/qa/data.py`)
and the best span over all windows is chosen by `tasks/qa/decode.py` (BERT's `run_squad.py`
rules). Each window's logits are first turned into log-probabilities over its context tokens and
[CLS], as HF's question-answering pipeline does, so a span's score is P(start) * P(end).
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.base import Pipeline, as_batch
from bertkit.tasks.qa.data import Example, Window, encode_examples
from bertkit.tasks.qa.decode import Window as Scores
from bertkit.tasks.qa.decode import best_answer, choose_answer


@dataclass
class Answer:
    text: str  # context[start:end]; "" when the model says there is no answer
    start: int  # first character in the context
    end: int  # one past the last character
    score: float  # probability of this span in its window


class QaPipeline(Pipeline):
    """`qa("Where is the bank?", context)` -> Answer(text, start, end, score).

    Args:
        stride: context tokens shared by consecutive windows (SQuAD's doc_stride).
        max_answer_length: longest answer, in tokens.
        n_best: start and end candidates considered per window.
        allow_no_answer: answer "" when [CLS] outscores every span (SQuAD v2.0 models).
        Other options as `Pipeline`; max_length defaults to 384 as in BERT's SQuAD recipe.
    """

    task = "qa"
    model_class = "BertForQuestionAnswering"
    required_head = "question-answering"
    head_hint = "; `bertkit finetune qa` writes one"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        stride: int = 128,
        max_answer_length: int = 30,
        n_best: int = 20,
        allow_no_answer: bool = False,
        **options,
    ):
        super().__init__(model_dir, **options)
        if stride < 0 or max_answer_length <= 0 or n_best <= 0:
            raise BertkitError("stride must be >= 0, max_answer_length and n_best positive")
        self.stride = stride
        self.max_answer_length = max_answer_length
        self.n_best = n_best
        self.allow_no_answer = allow_no_answer

    def default_max_length(self) -> int:
        return min(384, super().default_max_length())

    def __call__(
        self, questions: str | list[str], contexts: str | list[str]
    ) -> Answer | list[Answer]:
        """The best answer per (question, context); one context may serve many questions."""
        question_batch, is_single = as_batch(questions)
        context_batch = as_batch(contexts)[0]
        if len(context_batch) == 1:
            context_batch = context_batch * len(question_batch)
        if len(context_batch) != len(question_batch):
            raise BertkitError(
                f"got {len(question_batch)} questions but {len(context_batch)} contexts"
            )
        examples, windows = self.encode_windows(question_batch, context_batch, is_single)
        answers = self.answers_from_windows(examples, windows)
        return answers[0] if is_single else answers

    def encode_windows(
        self, questions: list[str], contexts: list[str], is_single: bool = False
    ) -> tuple[list[Example], list[list[Window]]]:
        """The (question, context) pairs checked and cut into windows, each pair's in order
        (tokenizing only: the half of the work that needs no model, which a server does off its
        model thread)."""
        examples = [
            Example(str(i), q, c, [], -1)
            for i, (q, c) in enumerate(zip(questions, contexts, strict=True))
        ]
        for i, example in enumerate(examples):
            self._check(example, f"question {i + 1}" if not is_single else "the question")
        windows = encode_examples(self.tokenizer, examples, self.max_length, self.stride, False)
        by_example: list[list[Window]] = [[] for _ in examples]
        for window in windows:
            by_example[window.example].append(window)
        return examples, by_example

    def answers_from_windows(
        self, examples: list[Example], windows: list[list[Window]]
    ) -> list[Answer]:
        """The best answer of each pair from its windows (`encode_windows`): the model's half."""
        flat = [window for example_windows in windows for window in example_windows]
        logits = iter(self.run_batches(flat, self._logits))
        answers = []
        for example, example_windows in zip(examples, windows, strict=True):
            scores = []
            for window in example_windows:
                start, end = next(logits)
                # Only [CLS] (the "no answer" position) and the context compete.
                is_candidate = np.array(window.is_context)
                is_candidate[0] = True
                start, end = (log_probs(x[: len(is_candidate)], is_candidate) for x in (start, end))
                scores.append(Scores(start, end, window.offsets, window.is_context))
            answers.append(self._answer(scores, example.context))
        return answers

    def _check(self, example: Example, where: str) -> None:
        if not example.question.strip() or not example.context.strip():
            raise BertkitError(f"{where} or its context is empty")
        num_question = len(self.tokenizer.segment(example.question))
        # The context needs more room than the stride in every window (a window moves on by
        # room - stride tokens), unless it fits whole.
        room = self.max_length - 3 - num_question
        num_context = len(self.tokenizer.segment(example.context))
        if room <= 0 or (num_context > room and room <= self.stride):
            raise BertkitError(
                f"{where} has {num_question} tokens, too long to leave room for its context in "
                f"{self.max_length}-token windows with stride {self.stride}: shorten it"
            )

    def _logits(self, inputs: dict[str, np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        out = self.runtime.run(inputs, ["start_logits", "end_logits"])  # 2 x (B, T)
        return list(zip(out["start_logits"], out["end_logits"], strict=True))

    def _answer(self, windows: list[Scores], context: str) -> Answer:
        best, null = best_answer(windows, context, self.n_best, self.max_answer_length)
        text = choose_answer(best, null, 0.0 if self.allow_no_answer else None)
        if best is None or not text:
            return Answer("", 0, 0, math.exp(null))
        return Answer(best.text, best.start, best.end, math.exp(best.score))


def log_probs(logits: np.ndarray, is_candidate: np.ndarray) -> np.ndarray:
    """Log-softmax over the candidate positions; the others get -inf."""
    masked = np.where(is_candidate, logits, -np.inf)
    shifted = masked - masked.max()
    return shifted - np.log(np.exp(shifted).sum())
