"""`bertkit serve`: an HTTP inference server with dynamic batching over the pipelines.

Its routes speak the shapes deployers already call: Hugging Face text-embeddings-inference
(`/embed`, `/rerank`, `/predict`, `/tokenize`), OpenAI (`/v1/embeddings`), and the Hugging Face
pipeline schemas for the tasks TEI declines (`/ner`, `/qa`, `/fill-mask`).
"""

from bertkit.serve.app import build_app
from bertkit.serve.models import ServedModel, load_models
from bertkit.serve.server import run_server
from bertkit.serve.settings import ServeSettings

__all__ = ["ServeSettings", "ServedModel", "build_app", "load_models", "run_server"]
