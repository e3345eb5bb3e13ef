"""Reading task files: GLUE/CoNLL/SQuAD as distributed, and bad input named by file and line."""

import json

import pytest

from bertkit.errors import BertkitError
from bertkit.tasks.classify.data import Columns, is_regression, label_names, read_examples
from bertkit.tasks.ner.data import read_conll, split_words
from bertkit.tasks.qa.data import encode_examples, read_squad
from bertkit.tokenizer import WordPieceTokenizer
from tests.conftest import need_file
from tests.tasks.conftest import write_conll, write_squad


def test_glue_files_are_read_as_distributed(data_dir):
    sst2 = read_examples(need_file(data_dir / "sst2" / "dev.tsv"))
    assert len(sst2.examples) == 872 and sst2.examples[0].pair is None
    assert set(label_names([e.label for e in sst2.examples])) == {"0", "1"}
    mrpc = read_examples(need_file(data_dir / "mrpc" / "dev.tsv"))  # BOM, quotes in the text
    assert mrpc.columns == Columns("#1 String", "#2 String", "Quality")
    assert len(mrpc.examples) == 408 and all(e.pair for e in mrpc.examples)
    stsb = read_examples(need_file(data_dir / "stsb" / "glue" / "dev.tsv"))
    assert len(stsb.examples) == 1500 and is_regression([e.label for e in stsb.examples])
    assert not is_regression([e.label for e in sst2.examples])


def test_csv_and_jsonl_with_named_columns(tmp_path):
    csv_file = tmp_path / "d.csv"
    csv_file.write_text('review,stars\n"good, really",5\nbad,1\n')
    read = read_examples(csv_file, Columns(text="review", label="stars"))
    assert [(e.text, e.label, e.line) for e in read.examples] == [
        ("good, really", "5", 2),
        ("bad", "1", 3),
    ]
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text(
        '{"text": "a", "pair": "b", "label": "yes"}\n\n{"text": "c", "pair": "d", "label": 0}\n'
    )
    read = read_examples(jsonl)
    assert [(e.pair, e.label, e.line) for e in read.examples] == [("b", "yes", 1), ("d", "0", 3)]


def test_rows_with_missing_columns_are_skipped_and_named(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("sentence\tlabel\nfine\t1\nno label here\n\t0\nok\t0\n")
    read = read_examples(path)
    assert [e.text for e in read.examples] == ["fine", "ok"]
    assert read.skipped == [f"{path}:3: missing 'label'", f"{path}:4: missing 'sentence'"]


def test_empty_file_or_unknown_column_stops_with_file_and_line(tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(BertkitError, match=r"empty.tsv:1: empty file"):
        read_examples(empty)
    path = tmp_path / "t.tsv"
    path.write_text("sentence\tlabel\nfine\t1\n")
    with pytest.raises(BertkitError, match=r"t.tsv:1: no label column 'gold'"):
        read_examples(path, Columns(label="gold"))


def test_conll_reads_iob1_with_docstart_at_the_end_as_bio(tmp_path):
    read = read_conll(write_conll(tmp_path / "c.txt", copies=2))
    assert len(read.sentences) == 6
    first = read.sentences[0]
    assert first.words[:2] == ["john", "smith"] and first.tags[:2] == ["B-PER", "I-PER"]
    assert read.sentences[2].tags == ["B-PER", "O", "B-LOC", "O", "B-LOC", "O"]


def test_conll_bad_lines_skip_their_sentence_and_empty_files_stop(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("a B-PER\nb XX\n\nc O\n\nlonely\n")
    read = read_conll(path)
    assert [s.words for s in read.sentences] == [["c"]]
    assert read.skipped == [
        f"{path}:2: tag 'XX' is neither O nor B-/I-/E-/S-TYPE",
        f"{path}:6: a token line needs a word and a tag",
    ]
    path.write_text("-DOCSTART- -X- O O\n\n")
    with pytest.raises(BertkitError, match="bad.txt:1: no sentence"):
        read_conll(path)


def test_real_conll_train_has_every_sentence(data_dir):
    read = read_conll(need_file(data_dir / "conll2003" / "eng.train"))
    assert len(read.sentences) == 14041 and not read.skipped
    assert all(not t.startswith("I-") or i for s in read.sentences for i, t in enumerate(s.tags))


def test_long_sentences_are_split_at_word_boundaries():
    assert split_words([3, 3, 3, 3], room=7) == [(0, 2), (2, 4)]
    assert split_words([9, 1], room=4) == [(0, 1), (1, 2)]


def test_squad_answer_start_mismatch_is_skipped_with_its_line(tmp_path):
    path = write_squad(tmp_path / "q.json", copies=1)
    data = json.loads(path.read_text())
    data["data"][0]["paragraphs"][0]["qas"][1]["answers"][0]["answer_start"] = 3
    path.write_text(json.dumps(data, indent=1))
    read = read_squad(path)
    assert [e.id for e in read.examples] == ["w0"]
    (message,) = read.skipped
    assert message.startswith(f"{path}:") and "'m0': answer_start 3" in message
    line = int(message.split(":")[1])
    assert '"m0"' in path.read_text().splitlines()[line - 1]
    assert len(read_squad(path, check_answers=False).examples) == 2


def test_squad_v2_unanswerable_questions_have_no_answers(tmp_path):
    path = tmp_path / "v2.json"
    qas = [{"id": "x", "question": "why ?", "answers": [], "is_impossible": True}]
    path.write_text(
        json.dumps({"version": "v2.0", "data": [{"paragraphs": [{"context": "c", "qas": qas}]}]})
    )
    read = read_squad(path)
    assert read.is_v2 and read.examples[0].answers == []


def test_training_windows_point_at_the_answer_on_real_squad(data_dir, minilm_dir):
    read = read_squad(need_file(data_dir / "squad-v1.1" / "dev-v1.1.json"), limit=300)
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    windows = encode_examples(tokenizer, read.examples, max_length=128, stride=32, is_training=True)
    assert len(windows) > len(read.examples)  # long contexts made several windows
    found, exact = set(), 0
    for w in windows:
        if w.start_position:
            example = read.examples[w.example]
            text = example.context[w.offsets[w.start_position][0] : w.offsets[w.end_position][1]]
            # The tightest token span holding the answer ("gold" sits inside the token "golden").
            assert example.answers[0] in text
            exact += text == example.answers[0]
            found.add(w.example)
    assert len(found) == len(read.examples)  # every answer is whole in some window
    assert exact >= 0.95 * sum(1 for w in windows if w.start_position)
