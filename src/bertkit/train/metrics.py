"""The run's record: `metrics.jsonl` (one JSON object a line), `loss.png`, optional TensorBoard.

Every line has `split` ("train" or "eval"), `step` and the numbers of that moment (`loss`, learning
rate, throughput, whatever `step`/`evaluate` report). matplotlib and TensorBoard are optional: they
are imported when first used, and a missing one costs a log line, never the run.
"""

import json
import logging
import math
from pathlib import Path

from bertkit.files import atomic_path, write_text

log = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"
PLOT_FILE = "loss.png"
MARKERS_UP_TO = 40  # curves with at most this many points are drawn with a marker on each


def read_metrics(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


class MetricsLog:
    """Appends records to out_dir/metrics.jsonl and redraws out_dir/loss.png on request."""

    def __init__(self, out_dir: Path, tensorboard: bool = False):
        self.path = out_dir / METRICS_FILE
        self.plot_path = out_dir / PLOT_FILE
        self.writer = _tensorboard_writer(out_dir / "tensorboard") if tensorboard else None
        self.has_matplotlib = True

    def truncate_after(self, step: int) -> None:
        """Forget lines past `step`: a resumed run redoes them, so the file reads as one run."""
        kept = [r for r in read_metrics(self.path) if r["step"] <= step]
        write_text(self.path, "".join(json.dumps(r) + "\n" for r in kept))

    def log(self, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.writer is not None:
            for key, value in record.items():
                if isinstance(value, (int, float)) and key != "step":
                    self.writer.add_scalar(f"{record['split']}/{key}", value, record["step"])
            self.writer.flush()

    def plot(self) -> None:
        """Draw training and evaluation losses (and eval accuracies, if any) into loss.png."""
        if not self.has_matplotlib:
            return
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            log.info("matplotlib is not installed: no %s (pip install matplotlib)", PLOT_FILE)
            self.has_matplotlib = False
            return
        records = read_metrics(self.path)
        scores = sorted(
            {k for r in records if r["split"] == "eval" for k in r if _is_score(k, r[k])}
        )
        fig, axes = plt.subplots(1, 2 if scores else 1, figsize=(11 if scores else 6, 4))
        axes = list(axes) if scores else [axes]
        for split in ("train", "eval"):
            points = [
                (r["step"], r["loss"]) for r in records if r["split"] == split and "loss" in r
            ]
            # Markers on every point of a short curve: a run with one or two logged points
            # still shows them (a line alone needs two points, and hides how few there are).
            style = "o-" if split == "eval" or len(points) <= MARKERS_UP_TO else "-"
            if points:
                axes[0].plot(*zip(*points, strict=True), style, label=f"{split} loss", ms=3)
        axes[0].set(xlabel="step", ylabel="loss", title="loss")
        axes[0].legend()
        for key in scores:
            points = [(r["step"], r[key]) for r in records if r["split"] == "eval" and key in r]
            axes[1].plot(*zip(*points, strict=True), "o-", label=f"eval {key}", ms=3)
        if scores:
            axes[1].set(xlabel="step", title="evaluation")
            axes[1].legend()
        fig.tight_layout()
        with atomic_path(self.plot_path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
        plt.close(fig)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _is_score(key: str, value) -> bool:
    is_number = isinstance(value, (int, float)) and math.isfinite(value)
    return is_number and key.endswith(("acc", "accuracy", "f1", "exact_match"))


def _tensorboard_writer(directory: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        log.info("tensorboard is not installed: no event files (pip install tensorboard)")
        return None
    return SummaryWriter(str(directory))
