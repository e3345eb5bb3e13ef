"""Vocab training: special tokens first, the alphabet kept, deterministic, and as good as HF's."""

import pytest

from bertkit.tokenizer import WordPieceTokenizer, train_vocab
from bertkit.tokenizer.train import SPECIAL_TOKENS

CORPUS = "the cat sat on the mat.\nthe cats sat on the mats!\nCafé, café; naïve ünïcode 东京\n" * 20


def test_vocab_starts_with_specials_keeps_the_alphabet_and_is_deterministic(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    vocab = train_vocab([corpus], 60, lowercase=True, show_progress=False)
    assert vocab[: len(SPECIAL_TOKENS)] == list(SPECIAL_TOKENS)
    assert len(vocab) == len(set(vocab)) <= 60
    assert {"c", "a", "t", ".", "!", "东", "##a", "##t"} <= set(vocab)
    assert "é" not in vocab  # uncased strips accents
    assert "the" in vocab and "sat" in vocab
    assert train_vocab([corpus], 60, lowercase=True, show_progress=False) == vocab
    tok = WordPieceTokenizer(vocab)
    assert tok.unk_token_id not in tok.encode(CORPUS).input_ids


def test_alphabet_limit_and_cased_training(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    vocab = train_vocab([corpus], 200, lowercase=False, limit_alphabet=5, show_progress=False)
    single = [t for t in vocab[len(SPECIAL_TOKENS) :] if len(t) == 1]
    assert len(single) == 5  # the five most frequent characters


def test_undecodable_corpus_is_an_error_naming_file_and_line(tmp_path):
    from bertkit.errors import BertkitError

    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"fine\nalso fine\n\xff\xfe bad\n")
    with pytest.raises(BertkitError, match=r"corpus\.txt:3: not UTF-8"):
        train_vocab([corpus], 100, lowercase=True, show_progress=False)
    with pytest.raises(BertkitError, match="missing.txt"):
        train_vocab([tmp_path / "missing.txt"], 100, lowercase=True, show_progress=False)


@pytest.mark.hf
def test_8k_vocab_from_wikitext_tokenizes_sst2_as_compactly_as_hf(data_dir, corpora):
    tokenizers = pytest.importorskip("tokenizers")
    files = [data_dir / "wikitext-2-raw/wiki.valid.raw", data_dir / "wikitext-2-raw/wiki.test.raw"]
    ours = train_vocab(files, 8000, lowercase=True, show_progress=False)
    hf = tokenizers.BertWordPieceTokenizer(lowercase=True)
    hf.train([str(f) for f in files], vocab_size=8000, min_frequency=2, show_progress=False)
    theirs = sorted(hf.get_vocab(), key=hf.get_vocab().get)
    assert len(ours) == len(theirs) == 8000
    sentences = corpora["sst2/train.tsv"] + corpora["sst2/dev.tsv"]

    def count(vocab):
        encodings = WordPieceTokenizer(vocab).encode_batch(sentences, add_special_tokens=False)
        return sum(len(e) for e in encodings)

    ratio = count(ours) / count(theirs)
    print(f"SST-2 tokens, ours / tokenizers trainer: {ratio:.4f}")
    assert ratio <= 1.03
