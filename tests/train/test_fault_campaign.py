"""The fault campaign's quick profile: SIGKILL in a step, an evaluation and a checkpoint write."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_three_kills_resume_to_the_uninterrupted_weights_and_loss_curve(tmp_path):
    out = tmp_path / "faults.json"
    command = [sys.executable, str(REPO / "benchmarks" / "faults.py"), "--quick", "--out", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["kills"] == 3 and result["by_kind"] == {
        "step": 1,
        "eval": 1,
        "save": 1,
        "time": 0,
    }
    assert result["successful_resumes"] == result["resumes"] >= 3
    assert result["identical_runs"] == result["runs"] >= 1
    assert all(run["weights"]["different"] == 0 for run in result["run_log"])
