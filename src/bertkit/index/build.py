"""Changing an index: build it from corpus files, add passages, remove passages by id.

Each change embeds only the new passages (bertkit's embed pipeline: the model's pooling, unit
length), writes the next generation's files and commits it with a new manifest (see store.py).
"""

import logging
from collections.abc import Set as AbstractSet
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.index.corpus import Passage, read_passages
from bertkit.index.exact import write_exact
from bertkit.index.lexical import Bm25
from bertkit.index.store import (
    Manifest,
    commit,
    generation_name,
    read_manifest,
    read_removed,
    sweep,
    write_lock,
    write_removed,
    write_segment,
)
from bertkit.index.store import read_passages as read_stored
from bertkit.index.vectors import (
    COMPACT_SHARE,
    VectorSpec,
    add_vectors,
    load_index,
    new_index,
    rebuild,
    remove_vectors,
    save_index,
)
from bertkit.pipelines.embed import EmbedPipeline, unit
from bertkit.pipelines.fingerprint import embedding_options, model_fingerprint

logger = logging.getLogger(__name__)


def open_embedder(model_dir: str | Path, manifest: Manifest | None = None, **options):
    """The embed pipeline for `model_dir`; with a manifest, its recorded options, and a
    `BertkitError` unless the model is the one the index was built with."""
    model_dir = Path(model_dir)
    if manifest is not None:
        recorded = manifest.model
        options = {"pooling": recorded["pooling"], "layer": recorded["layer"]} | options
        options["max_length"] = recorded["max_length"]
    if not model_dir.exists():
        raise BertkitError(f"{model_dir}: model directory not found (give --model DIR)")
    embed = EmbedPipeline(model_dir, **options)
    if manifest is not None:
        check_fingerprint(manifest, model_fingerprint(embed), model_dir)
    return embed


def check_fingerprint(manifest: Manifest, fingerprint: str, source) -> None:
    expected = manifest.model["fingerprint"]
    if fingerprint != expected:
        raise BertkitError(
            f"{source}: not the model this index was built with (fingerprint {fingerprint[:12]} "
            f"!= {expected[:12]}, built with {manifest.model['path']}); vectors of different "
            "models cannot be compared"
        )


def embed_passages(embed: EmbedPipeline, passages: list[Passage]) -> np.ndarray:
    return unit(embed([p.text for p in passages])).astype(np.float32)


def build_index(
    model_dir: str | Path,
    corpus: list[str | Path],
    out: str | Path,
    spec: VectorSpec | None = None,
    use_bm25: bool = False,
    **embed_options,
) -> Manifest:
    """Embed every passage of the corpus files and write a new index directory `out`.

    Args:
        spec: the dense index (kind, thresholds, HNSW parameters); default `VectorSpec()`.
        use_bm25: keep a BM25 index too, for `mode="bm25"` and `"hybrid"` searches.
        embed_options: `EmbedPipeline` options (pooling, layer, device, batch_size, ...).
    """
    _check_new(Path(out))
    passages = read_passages(corpus)
    embed = open_embedder(model_dir, **embed_options)
    vectors = embed_passages(embed, passages)
    return build_index_from_vectors(embed, passages, vectors, out, spec, use_bm25)


def build_index_from_vectors(
    embed: EmbedPipeline,
    passages: list[Passage],
    vectors: np.ndarray,
    out: str | Path,
    spec: VectorSpec | None = None,
    use_bm25: bool = False,
) -> Manifest:
    """`build_index` for passages already embedded by `embed` (say, read from a cache); the
    index records `embed`'s model as the one its queries must come from."""
    out = Path(out)
    _check_new(out)
    if vectors.shape != (len(passages), embed.dimension):
        raise BertkitError(
            f"got {vectors.shape} vectors for {len(passages)} passages of {embed.dimension} dims"
        )
    spec = spec or VectorSpec()
    options = embedding_options(embed)
    model = {"path": str(Path(embed.model_dir).resolve()), "fingerprint": model_fingerprint(embed)}
    kind = spec.kind_for(len(passages))
    manifest = Manifest(
        model=model | options,
        vectors={"file": None, "kind": kind, "spec": spec.to_json(), "metric": "inner_product"},
    )
    with write_lock(out):
        index = new_index(kind, options["dimension"], spec)
        _write(out, manifest, index, passages, unit(vectors).astype(np.float32), use_bm25)
    return manifest


def _check_new(out: Path) -> None:
    if out.exists() and any(p.name != ".lock" for p in out.iterdir()):
        raise BertkitError(f"{out}: exists and is not empty; choose a new directory")


def add_to_index(
    directory: str | Path, corpus: list[str | Path], model_dir: str | Path | None = None, **options
) -> Manifest:
    """Embed the passages of the corpus files and add them; their ids must be new."""
    directory = Path(directory)
    with write_lock(directory):
        manifest = read_manifest(directory)
        stored = read_stored(directory, manifest)
        passages = read_passages(corpus)
        known = {p.id for p in stored.values()}
        clash = [p.id for p in passages if p.id in known]
        if clash:
            raise BertkitError(
                f"{len(clash)} id(s) already in the index, e.g. {clash[0]!r}; remove them first"
            )
        embed = open_embedder(model_dir or manifest.model["path"], manifest, **options)
        vectors = embed_passages(embed, passages)
        index = load_index(directory / manifest.vectors["file"])
        _write(directory, manifest, index, passages, vectors, manifest.bm25 is not None)
    return manifest


def remove_from_index(directory: str | Path, ids: list[str]) -> Manifest:
    """Remove the passages with these ids (all must be in the index)."""
    directory = Path(directory)
    with write_lock(directory):
        manifest = read_manifest(directory)
        stored = read_stored(directory, manifest)
        key_of = {p.id: key for key, p in stored.items()}
        missing = [i for i in ids if i not in key_of]
        if missing:
            raise BertkitError(f"{len(missing)} id(s) not in the index, e.g. {missing[0]!r}")
        index = load_index(directory / manifest.vectors["file"])
        dropped = {key_of[i] for i in ids}
        _write(directory, manifest, index, [], None, manifest.bm25 is not None, dropped)
    return manifest


def _write(
    directory: Path,
    manifest: Manifest,
    index,
    passages: list[Passage],
    vectors: np.ndarray | None,
    use_bm25: bool,
    dropped: AbstractSet[int] = frozenset(),
) -> None:
    """Write generation `manifest.generation + 1` (new passages added, `dropped` keys removed),
    then commit it."""
    sweep(directory, manifest)  # debris of a crashed change may hold this generation's names
    generation = manifest.generation + 1
    spec = VectorSpec(**manifest.vectors["spec"])
    keys = np.arange(manifest.next_key, manifest.next_key + len(passages), dtype=np.int64)
    if passages and vectors is not None:
        add_vectors(index, vectors, keys)
        if manifest.vectors["kind"] == "ivfpq":  # its exact vectors, for re-ranking
            exact = generation_name("exact", generation, ".npy")
            write_exact(directory / exact, [vectors], len(vectors), vectors.shape[1])
            entry = {"file": exact, "first_key": int(keys[0]), "count": len(keys)}
            manifest.vectors = manifest.vectors | {
                "exact": [*manifest.vectors.get("exact", []), entry]
            }
        segment = generation_name("passages", generation, ".jsonl")
        write_segment(directory / segment, passages, keys)
        manifest.segments = [*manifest.segments, segment]
    removed = read_removed(directory, manifest) | set(dropped)
    stale = manifest.vectors.get("stale", 0)  # removed keys still in an HNSW graph
    if dropped and not remove_vectors(index, manifest.vectors["kind"], set(dropped)):
        stale += len(dropped)
    kind = spec.kind_for(index.ntotal - stale)
    if kind != manifest.vectors["kind"] or stale > COMPACT_SHARE * index.ntotal:
        logger.info("rebuilding the dense index as %s (%d vectors)", kind, index.ntotal - stale)
        index, stale = rebuild(index, kind, spec, removed), 0
    vectors_file = generation_name("vectors", generation, ".faiss")
    save_index(index, directory / vectors_file)  # a new name: the current file stays intact
    manifest.vectors = manifest.vectors | {"file": vectors_file, "kind": kind, "stale": stale}
    manifest.count = index.ntotal - stale
    manifest.next_key += len(passages)
    manifest.generation = generation
    manifest.removed = None
    if removed:
        manifest.removed = generation_name("removed", generation, ".npy")
        write_removed(directory / manifest.removed, removed)
    manifest.bm25 = None
    if use_bm25:
        live = read_stored(directory, manifest)  # the new segment and removals included
        manifest.bm25 = generation_name("bm25", generation)
        Bm25.build([p.text for p in live.values()], np.fromiter(live, dtype=np.int64)).save(
            directory / manifest.bm25
        )
    commit(directory, manifest)
    logger.info("%s: %d passages (%s index)", directory, manifest.count, kind)
