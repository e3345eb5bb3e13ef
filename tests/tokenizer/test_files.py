"""Loading and saving tokenizer directories, and the one-line errors for bad files."""

import json

import pytest

from bertkit.errors import BertkitError
from bertkit.tokenizer import WordPieceTokenizer

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _write_vocab(path, tokens):
    path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    return path


def test_save_then_load_gives_the_same_tokenizer(tmp_path):
    tok = WordPieceTokenizer(SPECIALS + ["hello", "##s", "wörld"], do_lower_case=False,
                             strip_accents=True, model_max_length=128)  # fmt: skip
    paths = tok.save_pretrained(tmp_path / "model")
    assert sorted(p.name for p in paths) == [
        "special_tokens_map.json", "tokenizer_config.json", "vocab.txt",
    ]  # fmt: skip
    assert not list((tmp_path / "model").glob(".*tmp*"))  # written through temporary names
    loaded = WordPieceTokenizer.from_pretrained(tmp_path / "model")
    assert loaded.vocab == tok.vocab
    assert (loaded.do_lower_case, loaded.strip_accents, loaded.model_max_length) == (
        False,
        True,
        128,
    )
    assert loaded.encode("Hellos wörld").input_ids == tok.encode("Hellos wörld").input_ids


def test_settings_come_from_tokenizer_config_and_special_tokens_map(tmp_path):
    _write_vocab(tmp_path / "vocab.txt", ["<pad>", "<unk>", "<s>", "</s>", "<mask>", "hi"])
    (tmp_path / "special_tokens_map.json").write_text(json.dumps({
        "pad_token": "<pad>", "unk_token": {"content": "<unk>", "lstrip": False},
        "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>",
    }))  # fmt: skip
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"do_lower_case": False, "model_max_length": 1000000000000000019884624838656})
    )
    tok = WordPieceTokenizer.from_pretrained(tmp_path)
    assert tok.encode("hi <mask> HI").tokens == ["<s>", "hi", "<mask>", "<unk>", "</s>"]
    assert tok.model_max_length is None  # HF's "no limit"


def test_real_model_directories_load_with_their_settings(data_dir):
    assert WordPieceTokenizer.from_pretrained(data_dir / "vocab/bert-base-uncased").do_lower_case
    cased = WordPieceTokenizer.from_pretrained(data_dir / "vocab/bert-base-cased")
    assert not cased.do_lower_case and cased.model_max_length == 512


def test_vocab_without_special_tokens_is_an_error_naming_the_file(tmp_path):
    vocab = _write_vocab(tmp_path / "vocab.txt", ["[PAD]", "[UNK]", "hello"])
    with pytest.raises(
        BertkitError, match=r"vocab\.txt: .*lacks the special tokens \[SEP\], \[CLS\], \[MASK\]"
    ):
        WordPieceTokenizer.from_pretrained(vocab)


def test_missing_files_are_errors_naming_the_path(tmp_path):
    with pytest.raises(BertkitError, match="nowhere"):
        WordPieceTokenizer.from_pretrained(tmp_path / "nowhere")
    with pytest.raises(BertkitError, match="no vocab.txt"):
        WordPieceTokenizer.from_pretrained(tmp_path)


def test_undecodable_bytes_are_an_error_naming_file_and_line(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_bytes(b"[PAD]\n[UNK]\n[CLS]\ncaf\xe9\n")
    with pytest.raises(BertkitError, match=r"vocab\.txt:4: not UTF-8"):
        WordPieceTokenizer.from_pretrained(vocab)


def test_bad_json_is_an_error_naming_the_file(tmp_path):
    _write_vocab(tmp_path / "vocab.txt", SPECIALS)
    (tmp_path / "tokenizer_config.json").write_text("{not json")
    with pytest.raises(BertkitError, match="tokenizer_config.json: not valid JSON"):
        WordPieceTokenizer.from_pretrained(tmp_path)


def test_crlf_vocab_and_byte_order_mark_are_read_cleanly(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_bytes(("\ufeff" + "\r\n".join(SPECIALS + ["ok"]) + "\r\n").encode("utf-8"))
    tok = WordPieceTokenizer.from_pretrained(vocab)
    assert tok.vocab["[PAD]"] == 0 and tok.tokenize("ok") == ["ok"]


def test_id_conversions_and_special_ids():
    tok = WordPieceTokenizer(SPECIALS + ["a"])
    assert (tok.pad_token_id, tok.unk_token_id, tok.cls_token_id) == (0, 1, 2)
    assert (tok.sep_token_id, tok.mask_token_id) == (3, 4)
    assert tok.convert_tokens_to_ids(["a", "zzz"]) == [5, 1]
    assert tok.convert_ids_to_tokens([5, 2]) == ["a", "[CLS]"]
    with pytest.raises(BertkitError, match="outside the vocabulary"):
        tok.convert_ids_to_tokens(99)
    assert tok.decode([2, 5, 99, 3], skip_special_tokens=True) == "a"
