"""`embed_corpus`: embed every passage of many files on Ray Data, one Parquet shard per file.

The driver plans, Ray runs, the driver commits:
1. plan: the files the patterns name; those whose shard the manifest lists, verified (rows and
   digest), from an unchanged input (size and mtime, else the content's digest) are kept; the
   rest are pending. Files in OUT that the manifest does not name (a killed run's debris) go.
2. run: `read_binary_files` reads the pending files, one block each; `map_batches` hands them
   to an actor pool (worker.py: the model loaded once per actor) that writes the shards.
3. commit: as each shard comes back, the manifest is rewritten (temp name + rename) listing it;
   a killed job loses only the shards in flight. A bad file stops the job with its one line.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.pipelines.embedding_shards import (
    MANIFEST,
    EmbeddingsManifest,
    Shard,
    file_digest,
    is_verified,
    read_manifest,
    write_manifest,
)
from bertkit.progress import progress_bar
from bertkit.ray.cluster import ray_session
from bertkit.ray.inputs import InputFile, expand_inputs
from bertkit.ray.worker import WorkerSettings, shard_writer_class

logger = logging.getLogger(__name__)


@dataclass
class RayEmbedConfig:
    """Where the job runs and how wide."""

    address: str | None = None  # a running cluster ("auto", HOST:PORT); None starts a local Ray
    actors: int = 1  # embed pipelines working at once (one model each)
    cpus_per_actor: float = 1.0  # CPUs each actor reserves (and torch threads it uses)
    gpus_per_actor: float = 0.0  # GPUs each actor reserves: 1 for one actor per GPU
    batch_size: int = 32  # passages per forward pass

    def __post_init__(self):
        if self.actors < 1:
            raise BertkitError(f"actors must be at least 1, got {self.actors}")
        if self.cpus_per_actor <= 0 or self.gpus_per_actor < 0 or self.batch_size < 1:
            raise BertkitError("cpus per actor and batch size must be positive, gpus >= 0")


@dataclass
class EmbedReport:
    manifest: EmbeddingsManifest
    embedded: int  # input files embedded by this run
    kept: int  # input files whose shards a previous run had written


def embed_corpus(
    model_dir: str | Path,
    patterns: list[str],
    out: str | Path,
    config: RayEmbedConfig | None = None,
    **embed_options,
) -> EmbedReport:
    """Embed the passages of every file the glob `patterns` name into shards under `out`.

    Args:
        embed_options: `EmbedPipeline` options (pooling, normalize, layer, max_length, device,
            dtype, runtime) for every actor.
    """
    config = config or RayEmbedConfig()
    out = Path(out)
    inputs = expand_inputs(patterns)
    model = describe_model(model_dir, embed_options)
    manifest = plan(out, inputs, model, embed_options.get("dtype"))
    kept = len(manifest.shards)
    pending = [f for f in inputs if f.path not in {s.input for s in manifest.shards}]
    logger.info("%d input files: %d embedded before, %d to embed", len(inputs), kept, len(pending))
    if pending:
        settings = WorkerSettings(
            str(model_dir),
            str(out.resolve()),
            threads=max(1, int(config.cpus_per_actor)),
            embed_options=embed_options | {"batch_size": config.batch_size, "progress": False},
        )
        run(config, settings, inputs, pending, manifest, out)
    manifest.complete = True
    write_manifest(out, manifest)
    return EmbedReport(manifest, embedded=len(pending), kept=kept)


def describe_model(model_dir: str | Path, embed_options: dict) -> dict:
    """The manifest's model entry, from the pipeline the actors will build (here on the CPU)."""
    from bertkit.pipelines.embed import EmbedPipeline
    from bertkit.pipelines.fingerprint import embedding_options, model_fingerprint

    if not Path(model_dir).exists():
        raise BertkitError(f"{model_dir}: model directory not found (give --model DIR)")
    options = {k: v for k, v in embed_options.items() if k not in ("device", "dtype")}
    embed = EmbedPipeline(model_dir, device="cpu", **options)
    fingerprint = model_fingerprint(embed)
    return {"path": str(Path(model_dir).resolve()), "fingerprint": fingerprint} | (
        embedding_options(embed) | {"normalize": embed.normalize}
    )


def plan(out: Path, inputs: list[InputFile], model: dict, dtype: str | None) -> EmbeddingsManifest:
    """The manifest to start from: the verified shards of unchanged inputs, in input order."""
    if not (out / MANIFEST).exists():
        if out.exists() and any(out.iterdir()):
            raise BertkitError(f"{out}: exists, is not empty and holds no embeddings manifest")
        out.mkdir(parents=True, exist_ok=True)
        manifest = EmbeddingsManifest(model=model, dtype=dtype or "")
        write_manifest(out, manifest)
        return manifest
    before = read_manifest(out)
    if before.model["fingerprint"] != model["fingerprint"]:
        raise BertkitError(
            f"{out}: holds vectors of another model or pooling (fingerprint "
            f"{before.model['fingerprint'][:12]} != {model['fingerprint'][:12]}); "
            "choose a new --output"
        )
    if dtype and before.dtype and dtype != before.dtype:
        raise BertkitError(f"{out}: embedded in {before.dtype}, not {dtype}; choose a new --output")
    recorded = {shard.input: shard for shard in before.shards}
    shards = []
    for f in inputs:
        shard = recorded.get(f.path)
        if shard is None or not is_verified(out, shard):
            continue
        if (shard.size, shard.mtime_ns) != (f.size, f.mtime_ns):
            if file_digest(Path(f.path)) != shard.input_digest:
                continue  # changed since: embedded again
            shard.size, shard.mtime_ns = f.size, f.mtime_ns  # touched, same bytes
        shards.append(shard)
    manifest = EmbeddingsManifest(model=model, dtype=before.dtype, shards=shards)
    write_manifest(out, manifest)
    keep = {MANIFEST, *(shard.file for shard in shards)}
    for path in out.iterdir():
        if path.name not in keep and path.is_file():
            path.unlink()  # a killed run's temporary or unlisted shard, or a removed input's
    return manifest


def run(
    config: RayEmbedConfig,
    settings: WorkerSettings,
    inputs: list[InputFile],
    pending: list[InputFile],
    manifest: EmbeddingsManifest,
    out: Path,
) -> None:
    actors = min(config.actors, len(pending))
    local_cpus = max(1, round(actors * config.cpus_per_actor))
    local_gpus = round(actors * config.gpus_per_actor) if config.gpus_per_actor else None
    order = {f.path: number for number, f in enumerate(inputs)}
    stat = {f.path: f for f in pending}
    with ray_session(config.address, local_cpus, local_gpus) as ray:
        files = ray.data.read_binary_files(
            [f.path for f in pending],
            include_paths=True,
            num_cpus=0,  # reading is I/O; the CPUs are the actors'
            override_num_blocks=len(pending),  # one file per block: the actors share the files
        )
        shards = files.map_batches(
            shard_writer_class(settings),
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=config.cpus_per_actor,
            num_gpus=config.gpus_per_actor or None,
        )
        bar = progress_bar(total=len(pending), desc="embed", unit="file")
        try:
            for result in iter_results(ray, shards):
                if result["error"]:
                    raise BertkitError(result["error"])
                check_result(result, manifest, out)
                source = stat[result["path"]]
                shard = Shard(
                    source.path,
                    source.size,
                    source.mtime_ns,
                    str(result["input_digest"]),
                    str(result["file"]),
                    int(result["rows"]),
                    str(result["digest"]),
                )
                manifest.dtype = manifest.dtype or str(result["dtype"])
                manifest.shards = sorted([*manifest.shards, shard], key=lambda s: order[s.input])
                write_manifest(out, manifest)  # the commit point of this shard
                bar.update(1)
                bar.set_postfix(rows=sum(s.rows for s in manifest.shards), refresh=False)
        finally:
            bar.close()


def iter_results(ray, dataset):
    """The dataset's rows; a failure inside Ray becomes one line, not Ray's traceback."""
    try:
        yield from dataset.iter_rows()
    except ray.exceptions.RayError as error:
        lines = [line for line in str(error).splitlines() if line.strip()]
        last = lines[-1] if lines else type(error).__name__
        raise BertkitError(f"the Ray job failed: {last}") from None


def check_result(result: dict, manifest: EmbeddingsManifest, out: Path) -> None:
    if result["fingerprint"] != manifest.model["fingerprint"]:
        raise BertkitError(
            f"an actor's model differs from {manifest.model['path']} (fingerprint "
            f"{str(result['fingerprint'])[:12]}): every node must hold the same model files"
        )
    if manifest.dtype and result["dtype"] != manifest.dtype:
        raise BertkitError(
            f"{out}: embedded in {manifest.dtype} before, an actor ran {result['dtype']}; "
            "choose a new --output or the same --dtype"
        )
