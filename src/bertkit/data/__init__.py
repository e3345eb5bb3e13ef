"""Pretraining data: corpus -> documents -> NSP pairs -> masking -> shards -> batches."""

from bertkit.data.stream import ShuffledBatches

__all__ = ["ShuffledBatches"]
