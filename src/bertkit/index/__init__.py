"""A persistent, incremental vector index over passages: FAISS for vectors, optional BM25.

    from bertkit.index import IndexSearcher, add_to_index, build_index, remove_from_index
    build_index("path/to/all-MiniLM-L6-v2", ["passages.jsonl"], "my_index", use_bm25=True)
    add_to_index("my_index", ["more.txt"])
    IndexSearcher("my_index")("how do I open a file?", k=10, mode="hybrid")

FAISS and bm25s are the `index` extra; they are imported when an index is first used.
"""

from bertkit.index.build import (
    add_to_index,
    build_index,
    build_index_from_vectors,
    remove_from_index,
)
from bertkit.index.corpus import Passage, read_passages
from bertkit.index.searcher import IndexSearcher, SearchHit
from bertkit.index.vectors import VectorSpec

__all__ = [
    "IndexSearcher",
    "Passage",
    "SearchHit",
    "VectorSpec",
    "add_to_index",
    "build_index",
    "build_index_from_vectors",
    "read_passages",
    "remove_from_index",
]
