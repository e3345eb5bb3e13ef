"""The sentence-transformers directory layout: an encoder folder plus the modules around it.

`modules.json` lists the modules (Transformer -> Pooling -> optional Normalize);
`sentence_bert_config.json` holds the Transformer's `max_seq_length` and `do_lower_case`;
`1_Pooling/config.json` the pooling mode; `config_sentence_transformers.json` the versions, prompts
and similarity function, which bertkit keeps verbatim. Read into one `SentenceLayout` and written
back whole, so a directory survives load -> save (as `SentenceTransformer.save` writes it).
"""

from dataclasses import dataclass, field
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.files import write_json
from bertkit.interop.checkpoint import find_model_dir, load_model, read_json, save_model
from bertkit.model.pooling import PoolingConfig

MODULES_FILE = "modules.json"
SETTINGS_FILE = "sentence_bert_config.json"
VERSIONS_FILE = "config_sentence_transformers.json"
POOLING_DIR = "1_Pooling"
NORMALIZE_DIR = "2_Normalize"
MODULE_TYPE = "sentence_transformers.models."
# The pooling modes of sentence-transformers' Pooling; bertkit runs the first three.
POOLING_KEYS = {
    "cls": "pooling_mode_cls_token",
    "mean": "pooling_mode_mean_tokens",
    "max": "pooling_mode_max_tokens",
    "mean_sqrt_len": "pooling_mode_mean_sqrt_len_tokens",
    "weightedmean": "pooling_mode_weightedmean_tokens",
    "lasttoken": "pooling_mode_lasttoken",
}

NEW_NAMES = {"mean_sqrt_len_tokens": "mean_sqrt_len"}  # the newer spelling -> the key above


@dataclass
class SentenceLayout:
    """What a sentence-transformers directory declares around its encoder."""

    pooling: PoolingConfig
    max_seq_length: int | None = None  # texts are cut to this many tokens; None = the model's limit
    do_lower_case: bool = False  # sentence-transformers lower-cases before its tokenizer when set
    versions: dict = field(default_factory=dict)  # config_sentence_transformers.json, verbatim


def read_layout(path: Path) -> SentenceLayout | None:
    """The layout of a sentence-transformers directory, or None for a plain model directory."""
    modules_file = path / MODULES_FILE
    if not modules_file.exists():
        return None
    modules = read_json(modules_file)
    if not isinstance(modules, list):
        raise BertkitError(f"{modules_file}: expected a list of modules")
    layout = SentenceLayout(pooling=PoolingConfig(mode="mean"))
    for module in modules:
        kind, sub = str(module.get("type", "")), str(module.get("path", ""))
        if kind.endswith("Transformer"):
            settings_file = path / sub / SETTINGS_FILE
            settings = read_json(settings_file) if settings_file.exists() else {}
            length = settings.get("max_seq_length")
            if length is not None and (not isinstance(length, int) or length < 3):
                raise BertkitError(f"{settings_file}: max_seq_length must be an integer >= 3")
            layout.max_seq_length = length
            layout.do_lower_case = bool(settings.get("do_lower_case", False))
        elif kind.endswith("Pooling"):
            layout.pooling.mode = _pooling_mode(path / sub / "config.json")
        elif kind.endswith("Normalize"):
            layout.pooling.normalize = True
    if (path / VERSIONS_FILE).exists():
        layout.versions = read_json(path / VERSIONS_FILE)
    return layout


def _pooling_mode(config_file: Path) -> str:
    """The one pooling mode of a Pooling config, in the newer (`pooling_mode`) or the older
    (`pooling_mode_*` booleans) spelling; an unsupported or combined mode is an error."""
    settings = read_json(config_file)
    declared = settings.get("pooling_mode")
    if declared is not None:
        chosen = [declared] if isinstance(declared, str) else list(declared)
        chosen = [NEW_NAMES.get(mode, mode) for mode in chosen]
    else:
        chosen = [mode for mode, key in POOLING_KEYS.items() if settings.get(key)] or ["mean"]
    if len(chosen) != 1 or chosen[0] not in ("cls", "mean", "max"):
        raise BertkitError(
            f"{config_file}: pooling {'+'.join(chosen) or 'none'} is not supported "
            "(bertkit pools with exactly one of cls, mean, max)"
        )
    return chosen[0]


def write_layout(layout: SentenceLayout, path: Path, hidden_size: int) -> None:
    """Write modules.json and the module folders next to an encoder saved in `path`."""
    modules = [("", "Transformer"), (POOLING_DIR, "Pooling")]
    if layout.pooling.normalize:
        modules.append((NORMALIZE_DIR, "Normalize"))
        (path / NORMALIZE_DIR).mkdir(parents=True, exist_ok=True)
    pooling = {"word_embedding_dimension": hidden_size}
    pooling.update({key: mode == layout.pooling.mode for mode, key in POOLING_KEYS.items()})
    pooling["include_prompt"] = True
    settings = {"max_seq_length": layout.max_seq_length, "do_lower_case": layout.do_lower_case}
    write_json(path / POOLING_DIR / "config.json", pooling)
    write_json(path / SETTINGS_FILE, settings)
    write_json(path / VERSIONS_FILE, layout.versions or {"similarity_fn_name": "cosine"})
    write_json(
        path / MODULES_FILE,
        [
            {"idx": i, "name": str(i), "path": sub, "type": MODULE_TYPE + kind}
            for i, (sub, kind) in enumerate(modules)
        ],
    )


def load_sentence_model(path: Path, **options):
    """(BertModel, WordPieceTokenizer, SentenceLayout) of a sentence-transformers directory;
    `options` go to `load_model` (dtype, unpad, ...)."""
    from bertkit.model import BertModel
    from bertkit.tokenizer import WordPieceTokenizer

    layout = read_layout(path)
    if layout is None:
        raise BertkitError(f"{path}: no {MODULES_FILE}; not a sentence-transformers directory")
    model = load_model(BertModel, path, **options)
    return model, WordPieceTokenizer.from_pretrained(find_model_dir(path)), layout


def save_sentence_model(model, tokenizer, layout: SentenceLayout, path: Path) -> None:
    """Save an encoder, its tokenizer and its layout as a sentence-transformers directory that
    both bertkit and sentence-transformers load (the encoder at the top level, as
    all-MiniLM-L6-v2 ships)."""
    save_model(model, path)
    tokenizer.save_pretrained(path)
    write_layout(layout, path, model.config.hidden_size)
