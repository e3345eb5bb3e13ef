"""The files of a tokenizer directory: vocab.txt, tokenizer_config.json, special_tokens_map.json.

Formats as written by google-research/bert (vocab.txt: one token per line, id = line number - 1)
and HF `BertTokenizer.save_pretrained` (the two JSON files). Writes go through `bertkit.files`
(temporary name, then rename), so a crash never leaves half a file.
"""

import json
import logging
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.files import write_json, write_text
from bertkit.tokenizer.textfile import iter_lines, read_text

logger = logging.getLogger(__name__)

VOCAB_FILE = "vocab.txt"
CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_FILE = "special_tokens_map.json"
# Settings read from tokenizer_config.json / special_tokens_map.json (others are ignored).
SPECIAL_TOKEN_KEYS = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
SETTING_KEYS = ("do_lower_case", "strip_accents", "tokenize_chinese_chars", "model_max_length")


def read_vocab(path: Path) -> list[str]:
    """Read vocab.txt: token i is line i + 1. Blank lines are tokens too, as in HF."""
    return list(iter_lines(path))


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
