"""The files of a tokenizer directory: vocab.txt, tokenizer_config.json, special_tokens_map.json.

Formats as written by google-research/bert (vocab.txt: one token per line, id = line number - 1)
and HF `BertTokenizer.save_pretrained` (the two JSON files). A directory that transformers 5 or
sentence-transformers saved may hold tokenizer.json (the `tokenizers` format) instead of
vocab.txt: its WordPiece vocabulary and BertNormalizer settings are read from there. Writes go
through `bertkit.files` (temporary name, then rename), so a crash never leaves half a file.
"""

import json
import logging
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.files import write_json, write_text
from bertkit.tokenizer.textfile import iter_lines, read_text

logger = logging.getLogger(__name__)

VOCAB_FILE = "vocab.txt"
TOKENIZER_JSON = "tokenizer.json"  # read where vocab.txt is missing, never written
CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_FILE = "special_tokens_map.json"
# Settings read from tokenizer_config.json / special_tokens_map.json (others are ignored).
SPECIAL_TOKEN_KEYS = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
SETTING_KEYS = ("do_lower_case", "strip_accents", "tokenize_chinese_chars", "model_max_length")


def read_vocab(path: Path) -> list[str]:
    """Read vocab.txt: token i is line i + 1. Blank lines are tokens too, as in HF."""
    return list(iter_lines(path))


def read_tokenizer_json(path: Path) -> tuple[dict, dict]:
    """({token: id}, settings) of a `tokenizers` tokenizer.json holding BERT's WordPiece model
    and BertNormalizer; anything else is a BertkitError naming the file and the field."""
    data = _read_json(path)
    model = data.get("model")
    kind = model.get("type") if isinstance(model, dict) else None
    if not isinstance(model, dict) or kind != "WordPiece":
        raise BertkitError(f"{path}: field model.type is {kind!r}, not WordPiece (BERT's)")
    if model.get("continuing_subword_prefix", "##") != "##":
        raise BertkitError(f"{path}: field model.continuing_subword_prefix must be '##'")
    vocab = model.get("vocab")
    if not isinstance(vocab, dict) or not vocab:
        raise BertkitError(f"{path}: field model.vocab must be a non-empty object of token: id")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in vocab.values()):
        raise BertkitError(f"{path}: field model.vocab: every id must be an integer")
    settings: dict = {"unk_token": str(model.get("unk_token", "[UNK]"))}
    if isinstance(model.get("max_input_chars_per_word"), int):
        settings["max_input_chars_per_word"] = model["max_input_chars_per_word"]
    normalizer = data.get("normalizer")
    if isinstance(normalizer, dict) and normalizer.get("type") == "BertNormalizer":
        settings["do_lower_case"] = bool(normalizer.get("lowercase", True))
        settings["strip_accents"] = normalizer.get("strip_accents")
        settings["tokenize_chinese_chars"] = bool(normalizer.get("handle_chinese_chars", True))
    elif normalizer is not None:
        kind = normalizer.get("type") if isinstance(normalizer, dict) else normalizer
        raise BertkitError(f"{path}: field normalizer is {kind!r}, not BertNormalizer (BERT's)")
    return vocab, settings


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise BertkitError(f"{path}: not valid JSON ({error})") from None
    except RecursionError:
        raise BertkitError(f"{path}: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise BertkitError(f"{path}: expected a JSON object")
    return data


def read_settings(directory: Path) -> dict:
    """Tokenizer settings from a model directory's JSON files (missing files mean defaults)."""
    settings: dict = {}
    for name in (SPECIAL_TOKENS_FILE, CONFIG_FILE):  # the config wins where both say something
        path = directory / name
        if not path.exists():
            continue
        data = _read_json(path)
        for key in SPECIAL_TOKEN_KEYS:
            value = data.get(key)
            if isinstance(value, dict):  # {"content": "[UNK]", "lstrip": false, ...}
                value = value.get("content")
            if value is not None:
                settings[key] = str(value)
        for key in SETTING_KEYS:
            if key in data:
                settings[key] = _checked_setting(path, key, data[key])
    if (settings.get("model_max_length") or 0) > 10**9:  # HF writes 1e30 for "no limit"
        del settings["model_max_length"]
    logger.debug("tokenizer settings from %s: %s", directory, settings)
    return settings


def _checked_setting(path: Path, key: str, value):
    """A setting of the right type, or a BertkitError naming the file and the field."""
    if key == "model_max_length":
        if value is None or isinstance(value, int | float) and not isinstance(value, bool):
            if value is None or value != value or value > 10**9:  # None, NaN, "no limit"
                return None
            if value >= 1:
                return int(value)
        raise BertkitError(f"{path}: field {key} must be a positive number, got {value!r}")
    if isinstance(value, bool) or key == "strip_accents" and value is None:
        return value
    raise BertkitError(f"{path}: field {key} must be true or false, got {value!r}")


def write_tokenizer_files(directory: Path, tokens: list[str], settings: dict) -> list[Path]:
    """Write vocab.txt, tokenizer_config.json and special_tokens_map.json into `directory`."""
    directory = Path(directory)
    if any("\n" in t or "\r" in t for t in tokens):
        raise BertkitError("a vocabulary token contains a line break; vocab.txt cannot hold it")
    specials = {key: settings[key] for key in SPECIAL_TOKEN_KEYS}
    config = {"tokenizer_class": "BertTokenizer", **settings}
    paths = [directory / VOCAB_FILE, directory / CONFIG_FILE, directory / SPECIAL_TOKENS_FILE]
    write_text(paths[0], "".join(t + "\n" for t in tokens))
    write_json(paths[1], config)
    write_json(paths[2], specials)
    return paths
