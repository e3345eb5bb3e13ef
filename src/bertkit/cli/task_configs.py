"""The fine-tuning tasks that `bertkit finetune` and `bertkit evaluate` offer: name -> config.

Each task's flags are its config dataclass's fields (see `config_flags`).
"""

TASK_HELP = {
    "classify": "sentence or sentence-pair classification / regression (TSV, CSV, JSONL, GLUE)",
    "ner": "named entities from CoNLL files (IOB1 or BIO)",
    "qa": "extractive question answering on SQuAD v1.1 / v2.0 JSON",
    "embed": "sentence embeddings (bi-encoder) from pairs, triplets or scored pairs",
    "rerank": "cross-encoder reranker from (query, passage, label) or (query, positive, negatives)",
}


def task_configs() -> dict[str, type]:
    """Task name -> its config class (imported here, when a parser is built)."""
    from bertkit.tasks.classify.task import ClassifyConfig
    from bertkit.tasks.embed.task import EmbedConfig
    from bertkit.tasks.ner.task import NerConfig
    from bertkit.tasks.qa.task import QaConfig
    from bertkit.tasks.rerank.task import RerankConfig

    return {
        "classify": ClassifyConfig,
        "ner": NerConfig,
        "qa": QaConfig,
        "embed": EmbedConfig,
        "rerank": RerankConfig,
    }
