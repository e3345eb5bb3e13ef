"""The page's routes: `/` and its assets, and the JSON routes only the page needs (`/attention`,
`/map`, `/map/neighbours`). Fill-mask, NER, QA, classification and the similarity matrix
(`/similarity` with `{"texts"}`) come from the server's own routes. `add_page` mounts them on
an app the CLI composes with `bertkit.serve`.
"""

import asyncio
import threading
from importlib import resources
from pathlib import Path

import numpy as np
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from bertkit.errors import BertkitError
from bertkit.explore.attention import AttentionModel
from bertkit.explore.projection import EmbeddingMap, read_corpus
from bertkit.pipelines import EmbedPipeline

MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
MAX_MAP_TEXTS = 2000


def static_text(name: str) -> str:
    return resources.files("bertkit.explore").joinpath("static").joinpath(name).read_text("utf-8")


class AttentionRequest(BaseModel):
    text: str = Field(min_length=1)
    pair: str | None = None
    model: str | None = None
    max_tokens: int | None = Field(default=None, ge=3)
    decimals: int | None = Field(default=None, ge=1, le=8)


class MapRequest(BaseModel):
    texts: list[str] | None = Field(default=None, min_length=1, max_length=MAX_MAP_TEXTS)
    labels: list[str] | None = None
    model: str | None = None


class NeighboursRequest(BaseModel):
    index: int | None = Field(default=None, ge=0)
    text: str | None = Field(default=None, min_length=1)
    k: int = Field(default=5, ge=1, le=50)


class Explorer:
    """The models the page reads (loaded on first use), the corpus, and the current map."""

    def __init__(self, model_dirs: dict[str, Path], corpus: Path | None, device: str | None):
        if not model_dirs:
            raise BertkitError("the explorer needs at least one model")
        self.model_dirs = model_dirs
        self.device = device
        self.corpus = read_corpus(corpus) if corpus else None
        self.attention_models: dict[str, AttentionModel] = {}
        self.embedders: dict[str, EmbedPipeline] = {}
        self.map: EmbeddingMap | None = None
        self.map_model: str | None = None
        self.lock = threading.Lock()  # one computation at a time, off the event loop

    def name(self, model: str | None) -> str:
        if model is None:
            return next(iter(self.model_dirs))
        if model not in self.model_dirs:
            raise HTTPException(422, f"unknown model {model!r}")
        return model

    def attention(self, request: AttentionRequest) -> dict:
        name = self.name(request.model)
        with self.lock:
            if name not in self.attention_models:
                try:
                    model = AttentionModel(self.model_dirs[name], self.device)
                except BertkitError as error:  # e.g. an exported ONNX directory
                    raise HTTPException(422, f"no attention for model {name!r}: {error}") from None
                self.attention_models[name] = model
            return self.attention_models[name](
                request.text, request.pair, request.max_tokens, request.decimals
            )

    def embed(self, model: str | None, texts: list[str]) -> np.ndarray:
        name = self.name(model)
        with self.lock:
            if name not in self.embedders:
                try:
                    self.embedders[name] = EmbedPipeline(self.model_dirs[name], progress=False)
                except BertkitError as error:
                    raise HTTPException(422, f"model {name!r} cannot embed: {error}") from None
            return self.embedders[name](texts)

    def build_map(self, request: MapRequest) -> dict:
        if request.texts is not None:
            texts, labels = request.texts, request.labels
            if labels is not None and len(labels) != len(texts):
                raise HTTPException(422, f"{len(texts)} texts but {len(labels)} labels")
        elif self.corpus is not None:
            texts, labels = self.corpus
            texts, labels = texts[:MAX_MAP_TEXTS], labels[:MAX_MAP_TEXTS] if labels else None
        else:
            raise HTTPException(422, "no corpus was given at startup: send 'texts'")
        if any(not t.strip() for t in texts):
            raise HTTPException(422, "'texts' holds an empty text")
        self.map = EmbeddingMap.fit(texts, self.embed(request.model, texts), labels)
        self.map_model = request.model
        return {"points": self.map.points(), "explained": self.map.explained}

    def neighbours(self, request: NeighboursRequest) -> dict:
        if self.map is None:
            raise HTTPException(422, "no map yet: POST /map first")
        if request.index is not None:
            if request.index >= len(self.map.texts):
                raise HTTPException(422, f"index {request.index} is past the map's end")
            vector, skip = self.map.vectors[request.index], request.index
        elif request.text is not None:
            vector, skip = self.embed(self.map_model, [request.text])[0], None
        else:
            raise HTTPException(422, "send 'index' or 'text'")
        ((x, y),) = self.map.place(vector[None]).tolist()
        return {"x": x, "y": y, "neighbours": self.map.neighbours(vector, request.k, skip)}


def add_page(
    app: FastAPI,
    model_dirs: dict[str, Path],
    corpus: str | Path | None = None,
    device: str | None = None,
) -> Explorer:
    """Mount the page and its routes on `app`; returns the explorer state."""
    explorer = Explorer(model_dirs, Path(corpus) if corpus else None, device)
    router = APIRouter()
    assets = {p.name for p in resources.files("bertkit.explore").joinpath("static").iterdir()}

    @router.get("/", response_class=HTMLResponse)
    async def page():
        return HTMLResponse(static_text("index.html"))

    @router.get("/ui/{name}")
    async def asset(name: str):
        if name not in assets:
            raise HTTPException(404, f"no asset {name!r}")
        return Response(static_text(name), media_type=MEDIA_TYPES.get(Path(name).suffix))

    @router.post("/attention")
    async def attention(request: AttentionRequest):
        return await asyncio.to_thread(explorer.attention, request)

    @router.post("/map")
    async def embedding_map(request: MapRequest):
        return await asyncio.to_thread(explorer.build_map, request)

    @router.post("/map/neighbours")
    async def neighbours(request: NeighboursRequest):
        return await asyncio.to_thread(explorer.neighbours, request)

    app.include_router(router)
    return explorer
