"""A tokenizer directory that transformers 5 saved (tokenizer.json, no vocab.txt) loads with the
same vocabulary and settings, gives the ids transformers gives on real text, and a tokenizer.json
that is not BERT's WordPiece is one error naming the file and the field."""

import json
import shutil

import pytest

from bertkit.errors import BertkitError
from bertkit.tokenizer import WordPieceTokenizer
from tests.conftest import need_file


def _saved_by_transformers(source, out):
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(source).save_pretrained(out)
    return out


@pytest.mark.hf
@pytest.mark.parametrize("vocab", ["bert-base-uncased", "bert-base-cased"])
def test_a_folder_with_only_tokenizer_json_tokenizes_as_transformers(data_dir, tmp_path, vocab):
    from transformers import AutoTokenizer

    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(need_file(data_dir / "vocab" / vocab / "vocab.txt"), source / "vocab.txt")
    (source / "tokenizer_config.json").write_text(
        json.dumps({"do_lower_case": vocab.endswith("uncased"), "tokenizer_class": "BertTokenizer"})
    )
    saved = _saved_by_transformers(source, tmp_path / "saved")
    assert (saved / "tokenizer.json").exists()
    (saved / "vocab.txt").unlink(missing_ok=True)  # what transformers 5 leaves: no vocab.txt
    ours = WordPieceTokenizer.from_pretrained(saved)
    assert ours.vocab == WordPieceTokenizer.from_pretrained(source).vocab
    assert ours.do_lower_case == vocab.endswith("uncased")
    theirs = AutoTokenizer.from_pretrained(saved)
    lines = need_file(data_dir / "sst2" / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    texts = [line.split("\t")[0] for line in lines[:200]] + ["Ünïcödé naïve café 東京 don't"]
    for text in texts:
        assert ours.encode(text).input_ids == theirs(text)["input_ids"], text


def test_tokenizer_json_alone_as_a_file(tmp_path):
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello"])}
    path = tmp_path / "tokenizer.json"
    path.write_text(
        json.dumps(
            {
                "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": vocab},
                "normalizer": {"type": "BertNormalizer", "lowercase": False},
            }
        )
    )
    tokenizer = WordPieceTokenizer.from_pretrained(path)
    assert tokenizer.do_lower_case is False
    assert tokenizer.convert_tokens_to_ids(["hello", "Hello"]) == [5, 1]


@pytest.mark.parametrize(
    "content, field",
    [
        ({"model": {"type": "BPE", "vocab": {}}}, "model.type"),
        ({"model": {"type": "WordPiece", "vocab": []}}, "model.vocab"),
        ({"model": {"type": "WordPiece", "vocab": {"a": "0"}}}, "model.vocab"),
        (
            {"model": {"type": "WordPiece", "vocab": {"a": 0}, "continuing_subword_prefix": "@@"}},
            "model.continuing_subword_prefix",
        ),
        (
            {"model": {"type": "WordPiece", "vocab": {"a": 0}}, "normalizer": {"type": "NFC"}},
            "normalizer",
        ),
    ],
)
def test_a_tokenizer_json_that_is_not_berts_is_one_error(tmp_path, content, field):
    (tmp_path / "tokenizer.json").write_text(json.dumps(content))
    with pytest.raises(BertkitError) as error:
        WordPieceTokenizer.from_pretrained(tmp_path)
    message = str(error.value)
    assert "tokenizer.json" in message and field in message and "\n" not in message


def test_a_folder_with_neither_file_says_what_it_looked_for(tmp_path):
    with pytest.raises(BertkitError, match=r"no vocab\.txt \(or tokenizer\.json\)"):
        WordPieceTokenizer.from_pretrained(tmp_path)


def test_ids_that_skip_a_number_name_the_file(tmp_path):
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 5}
    (tmp_path / "tokenizer.json").write_text(
        json.dumps({"model": {"type": "WordPiece", "vocab": vocab}})
    )
    with pytest.raises(BertkitError, match=r"tokenizer\.json: vocab ids must be 0\.\.N-1"):
        WordPieceTokenizer.from_pretrained(tmp_path)
