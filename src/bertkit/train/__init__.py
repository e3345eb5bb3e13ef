"""Training: the loop shared by pretraining and fine-tuning, its config, optimizer, checkpoints."""

from bertkit.train.config import TrainConfig
from bertkit.train.dist import print0
from bertkit.train.loop import TrainingDiverged, TrainResult, count_examples, train
from bertkit.train.rng import seed_everything

__all__ = [
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "count_examples",
    "print0",
    "seed_everything",
    "train",
]
