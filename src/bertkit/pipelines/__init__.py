"""Using a model: text in, plain Python objects out, for each task BERT is used for.

    from bertkit.pipelines import pipeline
    embed = pipeline("embed", "path/to/all-MiniLM-L6-v2")
    vectors = embed(["first sentence", "second sentence"])       # (2, 384) float32

Each task is one class in its own file; `pipeline(task, model_dir, **options)` picks it by name.
The names of Hugging Face's pipelines are accepted too ("question-answering", ...).
"""

from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.pipelines.base import Pipeline
from bertkit.pipelines.bertscore import BertScorePipeline, Score
from bertkit.pipelines.classify import ClassifyPipeline, Label
from bertkit.pipelines.embed import EmbedPipeline, SimilarityPipeline
from bertkit.pipelines.fill_mask import FillMaskPipeline, MaskPrediction
from bertkit.pipelines.ner import Entity, NerPipeline
from bertkit.pipelines.next_sentence import Continuation, NextSentence, NextSentencePipeline
from bertkit.pipelines.qa import Answer, QaPipeline
from bertkit.pipelines.search import Hit, SearchPipeline
from bertkit.pipelines.summarize import SummarizePipeline, SummarySentence

TASKS: dict[str, type[Pipeline]] = {
    "fill-mask": FillMaskPipeline,
    "classify": ClassifyPipeline,
    "ner": NerPipeline,
    "qa": QaPipeline,
    "embed": EmbedPipeline,
    "similarity": SimilarityPipeline,
    "search": SearchPipeline,
    "summarize": SummarizePipeline,
    "score": BertScorePipeline,
    "next-sentence": NextSentencePipeline,
}

# Hugging Face pipeline names -> ours, for readers coming from transformers.
ALIASES = {
    "text-classification": "classify",
    "token-classification": "ner",
    "question-answering": "qa",
    "feature-extraction": "embed",
    "sentence-similarity": "similarity",
}


def pipeline(task: str, model_dir: str | Path, **options) -> Pipeline:
    """The pipeline for `task` on the model in `model_dir`; options go to its constructor
    (device, dtype, batch_size, max_length, progress, and the task's own)."""
    name = ALIASES.get(task, task)
    if name not in TASKS:
        raise BertkitError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return TASKS[name](model_dir, **options)


__all__ = [
    "Answer",
    "BertScorePipeline",
    "Continuation",
    "ClassifyPipeline",
    "EmbedPipeline",
    "Entity",
    "FillMaskPipeline",
    "Hit",
    "Label",
    "MaskPrediction",
    "NerPipeline",
    "NextSentence",
    "NextSentencePipeline",
    "Pipeline",
    "QaPipeline",
    "Score",
    "SearchPipeline",
    "SummarizePipeline",
    "SummarySentence",
    "SimilarityPipeline",
    "TASKS",
    "pipeline",
]
