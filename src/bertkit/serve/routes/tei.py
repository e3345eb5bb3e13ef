"""TEI's `POST /` (answered by the model's head) and `POST /similarity`, with the payloads that
`huggingface_hub.InferenceClient(base_url=...)` sends and the replies it parses.

`InferenceClient(base_url=URL)` posts every task to URL itself: `{"inputs": ..., "parameters":
{...}}` (feature-extraction puts its parameters at the top level). So `POST /` answers as the
model's head decides (text-embeddings-inference does the same): an encoder embeds, or scores
`{"source_sentence", "sentences"}` (sentence-similarity); a sequence classifier predicts; a token
classifier finds entities; a QA model answers `{"question", "context"}`; a masked LM fills masks.
`POST /models/NAME` is the same for one model of several (the Inference API's path), so that
`InferenceClient(base_url=f"{url}/models/NAME")` reaches it. A parameter bertkit cannot honour
is a 422 naming it, never silently ignored.
"""

from fastapi import APIRouter, Request

from bertkit.serve import body
from bertkit.serve.errors import invalid
from bertkit.serve.models import ServedModel
from bertkit.serve.routes.embed import answer_embed, embed_texts, unit_rows
from bertkit.serve.routes.tasks import answer_fill_mask, answer_ner, answer_predict, answer_qa
from bertkit.serve.state import respond, server

router = APIRouter()

# Architectures whose head is a masked LM: `POST /` fills masks for them.
MASKED_LM_MODELS = ("BertForMaskedLM", "BertForPreTraining")
# The aggregation strategies whose output is bertkit's: whole entities, each word labelled on its
# first sub-token ("simple" groups the same way; word pieces never split an entity).
AGGREGATIONS = (None, "simple", "first")


def head_task(model: ServedModel) -> str:
    """The task `POST /` answers for `model`, by its head."""
    for task in ("classify", "ner", "qa"):
        if task in model.pipelines:
            return task
    if "fill-mask" in model.pipelines and model.info.get("architecture") in MASKED_LM_MODELS:
        return "fill-mask"
    return "embed"


def refuse(parameters: dict, names: tuple[str, ...], task: str) -> None:
    """422 for a parameter that is set but that bertkit does not implement for `task`."""
    for name in names:
        if parameters.get(name) is not None:
            raise invalid(f"parameter '{name}' is not supported for {task} by this server")


@router.post("/")
async def root(request: Request):
    return await answer_by_head(request, await body.read_json(request))


@router.post("/models/{name}")
async def named(request: Request, name: str):
    data = await body.read_json(request)
    return await answer_by_head(request, data | {"model": name})


async def answer_by_head(request: Request, data: dict):
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise invalid("'parameters' must be an object")
    # The top level wins over "parameters" (feature-extraction sends its options there).
    data = parameters | {k: v for k, v in data.items() if k != "parameters"}
    model = server(request).model(data)
    inputs = data.get("inputs")
    task = head_task(model)
    if task == "embed" and isinstance(inputs, dict):
        return await answer_similarity(request, data)
    if task == "embed":
        refuse(data, ("prompt_name", "dimensions"), "feature-extraction")
        body.choice(data, "truncation_direction", "right", ("right",))
        body.choice(data, "encoding_format", "float", ("float",))
        return await answer_embed(request, data)
    if task == "classify":
        refuse(data, ("function_to_apply",), "text-classification")
        num_labels = model.pipeline("classify").config.num_labels
        top_k = body.integer(data, "top_k", num_labels, 1, num_labels)
        return await answer_predict(request, data, top_k, nested=True)
    if task == "ner":
        refuse(data, ("stride",), "token-classification (set when the server starts)")
        if data.get("aggregation_strategy") not in AGGREGATIONS:
            raise invalid(
                "'aggregation_strategy' must be simple or first: entities are whole words, "
                "each labelled on its first sub-token"
            )
        ignore = data.get("ignore_labels") or []
        if not isinstance(ignore, list) or not all(isinstance(x, str) for x in ignore):
            raise invalid("'ignore_labels' must be a list of label names")
        types = frozenset(label.removeprefix("B-").removeprefix("I-") for label in ignore)
        return await answer_ner(request, data, types)
    if task == "qa":
        names = ("align_to_words", "doc_stride", "handle_impossible_answer", "max_answer_len")
        refuse(data, names + ("max_question_len", "max_seq_len"), "question-answering")
        body.integer(data, "top_k", 1, 1, 1)
        if not isinstance(inputs, dict):
            raise invalid("'inputs' must be an object with 'question' and 'context'")
        question = {"question": inputs.get("question"), "context": inputs.get("context")}
        return await answer_qa(request, data | question)
    refuse(data, ("targets",), "fill-mask")
    return await answer_fill_mask(request, data)


@router.post("/similarity")
async def similarity(request: Request):
    return await answer_similarity(request, await body.read_json(request))


async def answer_similarity(request: Request, data: dict):
    """TEI's `{"inputs": {"source_sentence", "sentences"}}` -> the cosine similarity of each
    sentence with the source; the explorer page's `{"texts": [...]}` -> `{"texts", "matrix"}`,
    the cosine of every pair (texts cut to the model's length, as the page shows any text)."""
    limit = server(request).settings.max_inputs_per_request
    if "texts" in data and "inputs" not in data:
        texts, _ = body.texts(data, "texts", limit)
        truncate = body.flag(data, "truncate", True)
        vectors, _, timing, _ = await embed_texts(request, data, texts, truncate)
        vectors = unit_rows(vectors)
        return respond(request, {"texts": texts, "matrix": (vectors @ vectors.T).tolist()}, timing)
    inputs = data.get("inputs")
    if not isinstance(inputs, dict):
        raise invalid("'inputs' must be an object with 'source_sentence' and 'sentences'")
    source = body.text(inputs, "source_sentence")
    sentences, _ = body.texts(inputs, "sentences", limit)
    truncate = body.flag(data, "truncate", False)
    vectors, _, timing, _ = await embed_texts(request, data, [source, *sentences], truncate)
    vectors = unit_rows(vectors)
    return respond(request, (vectors[1:] @ vectors[0]).tolist(), timing)
