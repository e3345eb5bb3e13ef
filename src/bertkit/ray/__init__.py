"""Corpus-scale embedding on Ray Data: many files -> Parquet shards of vectors, resumable.

    from bertkit.ray import RayEmbedConfig, embed_corpus
    embed_corpus("all-MiniLM-L6-v2", ["corpus/*.jsonl"], "vectors", RayEmbedConfig(actors=2))

`bertkit embed --engine ray` runs it; `bertkit index build --from-embeddings` indexes its output
(the format: bertkit/pipelines/embedding_shards.py). Ray is the `ray` extra, imported when a job
starts. docs/cluster.md: running it on a real cluster.
"""

from bertkit.ray.job import EmbedReport, RayEmbedConfig, embed_corpus

__all__ = ["EmbedReport", "RayEmbedConfig", "embed_corpus"]
