"""TrainConfig: everything the shared training loop needs to know, validated on construction.

Fine-tuning and pretraining both build one; the resolved config is written as JSON into the run
folder. Step counts are optimizer steps (one step = `grad_accum_steps` micro-batches per process).
"""

from dataclasses import asdict, dataclass

from bertkit.errors import BertkitError

PRECISIONS = ("auto", "fp32", "bf16")
BEST_MODES = ("max", "min")


@dataclass
class TrainConfig:
    out_dir: str = "runs/run"  # run folder: metrics.jsonl, loss.png, checkpoints/
    max_steps: int = 1000  # optimizer steps in the whole run (the schedule decays to 0 there)
    time_limit_minutes: float = 0.0  # stop after this long (resumes count), lr decayed to 0; 0: off
    batch_size: int = 32  # sequences per micro-batch per process
    grad_accum_steps: int = 1  # micro-batches per optimizer step
    lr: float = 1e-4  # peak learning rate
    head_lr: float = 0.0  # peak rate of the model's `head_parameters()` (a fresh head); 0: lr
    weight_decay: float = 0.01  # AdamW decay; never applied to biases and LayerNorm weights
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_eps: float = 1e-6  # 1e-6 as in the original BERT optimizer
    warmup_steps: int | None = None  # linear warmup steps; None: warmup_ratio * max_steps
    warmup_ratio: float = 0.01  # used when warmup_steps is None
    max_grad_norm: float = 1.0  # clip the global gradient norm; 0 disables clipping
    log_every: int = 10  # steps between metrics.jsonl lines
    eval_every: int = 0  # steps between evaluations; 0: only at the end
    save_every: int = 0  # steps between checkpoints; 0: only at the end
    keep_last: int = 2  # checkpoints kept on disk (the newest K)
    seed: int = 0  # one seed for weights, dropout and data order
    precision: str = "auto"  # auto: bf16 autocast on a GPU that supports it, else fp32
    device: str = "auto"  # auto: cuda (this process's local rank) when available, else cpu
    best_metric: str | None = None  # an evaluate() key; its best value saves out_dir/best
    best_mode: str = "max"  # max or min: which direction of best_metric is better
    tensorboard: bool = False  # also write TensorBoard event files (needs tensorboard)
    progress: bool = True  # show a tqdm progress bar on rank 0

    def __post_init__(self) -> None:
        positive = ("max_steps", "batch_size", "grad_accum_steps", "log_every", "keep_last")
        for name in positive:
            if getattr(self, name) < 1:
                raise BertkitError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in (
            "eval_every",
            "save_every",
            "max_grad_norm",
            "weight_decay",
            "time_limit_minutes",
        ):
            if getattr(self, name) < 0:
                raise BertkitError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not self.lr > 0:
            raise BertkitError(f"lr must be positive, got {self.lr}")
        if self.head_lr < 0:
            raise BertkitError(f"head_lr must be >= 0, got {self.head_lr}")
        if self.warmup_steps is not None and self.warmup_steps < 0:
            raise BertkitError(f"warmup_steps must be >= 0, got {self.warmup_steps}")
        if not 0 <= self.warmup_ratio <= 1:
            raise BertkitError(f"warmup_ratio must be in [0, 1], got {self.warmup_ratio}")
        if self.precision not in PRECISIONS:
            raise BertkitError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.best_mode not in BEST_MODES:
            raise BertkitError(f"best_mode must be one of {BEST_MODES}, got {self.best_mode!r}")

    @property
    def num_warmup_steps(self) -> int:
        if self.warmup_steps is not None:
            return min(self.warmup_steps, self.max_steps)
        return round(self.warmup_ratio * self.max_steps)

    def to_dict(self) -> dict:
        return asdict(self)
