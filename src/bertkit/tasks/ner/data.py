"""CoNLL files (a token per line, its tag in the last column) and their model inputs.

CoNLL-2003 is read as distributed: a blank line ends a sentence, `-DOCSTART-` lines (anywhere,
even last) end a document, tags are IOB1 and are converted to BIO on reading. Each word's label
sits on its first sub-token; its other sub-tokens get -100, which the loss ignores (Devlin et al.
2018, section 5.3). A sentence longer than one input is cut at word boundaries into several
inputs, so every word is predicted and the score is over the whole file.
"""

from dataclasses import dataclass, field
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.labels import IGNORE_INDEX
from bertkit.tasks.batching import encoder_inputs, pad_stack
from bertkit.tasks.ner.decode import to_bio
from bertkit.tokenizer.textfile import read_text

IGNORE = IGNORE_INDEX  # a word's later sub-tokens, [CLS], [SEP] and padding
PREFIXES = ("B", "I", "E", "S")


@dataclass
class Sentence:
    words: list[str]
    tags: list[str]  # BIO
    line: int  # line of the first word


@dataclass
class ReadResult:
    sentences: list[Sentence]
    skipped: list[str] = field(default_factory=list)  # one "file:line: why" per skipped sentence


def _tag_problem(tag: str) -> str | None:
    prefix, sep, kind = tag.partition("-")
    if tag == "O" or (sep and prefix in PREFIXES and kind):
        return None
    return f"tag {tag!r} is neither O nor B-/I-/E-/S-TYPE"


def read_conll(path: str | Path, limit: int = 0) -> ReadResult:
    """The sentences of a CoNLL file; a sentence with a malformed line is skipped and reported.

    Raises BertkitError when the file is missing or holds no sentence.
    """
    path = Path(path)
    if not path.is_file():
        raise BertkitError(f"{path}: no such file")
    result = ReadResult([])
    words: list[str] = []
    tags: list[str] = []
    first, problem = 0, ""

    def end_sentence() -> None:
        nonlocal words, tags, problem
        if problem:
            result.skipped.append(problem)
        elif words:
            result.sentences.append(Sentence(words, to_bio(tags), first))
        words, tags, problem = [], [], ""

    lines = read_text(path).splitlines()
    for number, line in enumerate(lines, 1):
        columns = line.split()
        if not columns or columns[0] == "-DOCSTART-":
            end_sentence()
            if limit and len(result.sentences) == limit:
                break
            continue
        if not words and not problem:
            first = number
        if len(columns) < 2:
            problem = problem or f"{path}:{number}: a token line needs a word and a tag"
        elif why := _tag_problem(columns[-1]):
            problem = problem or f"{path}:{number}: {why}"
        else:
            words.append(columns[0])
            tags.append(columns[-1])
    end_sentence()  # the last sentence may end at the end of the file
    if not result.sentences:
        raise BertkitError(f"{path}:1: no sentence found (empty or not in CoNLL format)")
    return result


def label_names(sentences: list[Sentence]) -> list[str]:
    """ "O" first, then the tags sorted by type and prefix (B-LOC, I-LOC, B-MISC, ...)."""
    tags = {tag for s in sentences for tag in s.tags} - {"O"}
    return ["O", *sorted(tags, key=lambda tag: (tag[2:], tag[:1]))]


@dataclass
class Feature:
    input_ids: list[int]
    token_type_ids: list[int]
    labels: list[int]  # label id on each word's first sub-token, IGNORE elsewhere
    word_ids: list[int | None]  # word index in the sentence per token, None for specials
    sentence: int  # index of the sentence this input comes from


def encode_sentences(
    tokenizer, sentences: list[Sentence], label2id: dict[str, int], max_length: int
) -> list[Feature]:
    """Model inputs for the sentences; tags unknown to `label2id` are not trained on (IGNORE)."""
    cache: dict[str, list[int]] = {}
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    room = max_length - 2
    features = []
    for index, sentence in enumerate(sentences):
        pieces = []
        for word in sentence.words:
            if word not in cache:
                cache[word] = tokenizer.encode(word, add_special_tokens=False).input_ids
            pieces.append(cache[word][:room])  # a single word longer than an input is cut
        for start, stop in split_words([len(p) for p in pieces], room):
            ids, labels = [cls], [IGNORE]
            word_ids: list[int | None] = [None]
            for w in range(start, stop):
                ids += pieces[w]
                labels += [label2id.get(sentence.tags[w], IGNORE)] + [IGNORE] * (len(pieces[w]) - 1)
                word_ids += [w] * len(pieces[w])
            ids.append(sep)
            labels.append(IGNORE)
            word_ids.append(None)
            features.append(Feature(ids, [0] * len(ids), labels, word_ids, index))
    return features


def split_words(lengths: list[int], room: int) -> list[tuple[int, int]]:
    """Cut a sentence into consecutive word ranges [start, stop) of at most `room` tokens each."""
    ranges, start, used = [], 0, 0
    for w, n in enumerate(lengths):
        if used + n > room and w > start:
            ranges.append((start, w))
            start, used = w, 0
        used += n
    ranges.append((start, len(lengths)))
    return ranges


def collate(features: list[Feature], pad_id: int) -> dict:
    batch = encoder_inputs(features, pad_id)
    batch["labels"] = pad_stack([f.labels for f in features], IGNORE)
    return batch
