"""Fuzzing the tokenizer folder readers: vocab.txt, tokenizer_config.json, special_tokens_map.json.

Any bytes in any of the three files give a tokenizer that encodes text, or one BertkitError naming
one of the files.
"""

import json

from hypothesis import given
from hypothesis import strategies as st

from bertkit.tokenizer import WordPieceTokenizer
from tests.fuzzing import FUZZ, check, encoded, json_values, scratch, texts

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
GOOD_VOCAB = "\n".join([*SPECIALS, "hello", "world", "##s"]) + "\n"

vocab_bytes = encoded() | st.lists(
    st.sampled_from([*SPECIALS, "hello", "##s", "", " ", "\r", "\u00e9"]) | texts(max_size=8),
    max_size=30,
).map(lambda tokens: "\n".join(tokens).encode())
# Settings with the real keys holding values of any type, or any JSON at all, or any bytes.
settings_keys = st.sampled_from(
    ["do_lower_case", "strip_accents", "tokenize_chinese_chars", "model_max_length",
     "unk_token", "cls_token", "sep_token", "pad_token", "mask_token"]
)  # fmt: skip
json_file = (
    st.dictionaries(settings_keys, json_values, max_size=6).map(lambda d: json.dumps(d).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | encoded()
)


def load_and_use(directory):
    tokenizer = WordPieceTokenizer.from_pretrained(directory)
    tokenizer.encode(
        "Hello worlds, [MASK] h\u00e9llo!", "second", max_length=16, truncation="longest_first"
    )
    return tokenizer


@FUZZ
@given(vocab=vocab_bytes)
def test_vocab_file_on_any_bytes(vocab):
    directory = scratch("")
    (directory / "vocab.txt").write_bytes(vocab)
    check("vocab.txt", load_and_use, directory, names=(str(directory / "vocab.txt"),))


@FUZZ
@given(config=st.none() | json_file, specials=st.none() | json_file)
def test_tokenizer_json_files_on_any_bytes(config, specials):
    directory = scratch("")
    (directory / "vocab.txt").write_text(GOOD_VOCAB, encoding="utf-8")
    names = [str(directory / "vocab.txt")]
    for name, data in (("tokenizer_config.json", config), ("special_tokens_map.json", specials)):
        if data is not None:
            (directory / name).write_bytes(data)
            names.append(str(directory / name))
    check("tokenizer json", load_and_use, directory, names=tuple(names))
