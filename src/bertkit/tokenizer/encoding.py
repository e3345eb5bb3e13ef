"""What the tokenizer returns: `Encoding` (one model input) and `BatchEncoding` (many, padded).

Layout follows BERT (Devlin et al. 2019, section 3): [CLS] A [SEP] for one text,
[CLS] A [SEP] B [SEP] for a pair, with token_type_ids 0 up to the first [SEP] and 1 after it,
as HF's `BertTokenizerFast` and its `TemplateProcessing` post-processor produce.
"""

from dataclasses import dataclass

from bertkit.errors import BertkitError

ID_FIELDS = ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask")


@dataclass(slots=True)
class Segment:
    """The wordpieces of one text, before special tokens: ids, character spans and word indices."""

    ids: list[int]
    offsets: list[tuple[int, int]]
    word_ids: list[int]

    def __len__(self) -> int:
        return len(self.ids)

    def slice(self, start: int, stop: int) -> "Segment":
        return Segment(self.ids[start:stop], self.offsets[start:stop], self.word_ids[start:stop])


@dataclass(slots=True)
class Encoding:
    """One model input. offsets are character spans into the original text, (0, 0) for specials;
    word_ids index the words of each text (None for specials); sequence_ids say which text
    (0 = first, 1 = pair) a token came from; overflow_to_sample is the input this window is from."""

    input_ids: list[int]
    token_type_ids: list[int]
    attention_mask: list[int]
    special_tokens_mask: list[int]
    offsets: list[tuple[int, int]]
    word_ids: list[int | None]
    sequence_ids: list[int | None]
    tokens: list[str]
    overflow_to_sample: int = 0

    def __len__(self) -> int:
        return len(self.input_ids)

    def pad(self, length: int, pad_id: int, pad_token: str) -> None:
        """Pad on the right, in place, up to `length` tokens (no-op when already as long)."""
        n = length - len(self.input_ids)
        if n <= 0:
            return
        self.input_ids += [pad_id] * n
        self.token_type_ids += [0] * n
        self.attention_mask += [0] * n
        self.special_tokens_mask += [1] * n
        self.offsets += [(0, 0)] * n
        self.word_ids += [None] * n
        self.sequence_ids += [None] * n
        self.tokens += [pad_token] * n


def build_encoding(
    a: Segment,
    b: Segment | None,
    cls_sep: tuple[int, int] | None,
    id_to_token: list[str],
    sample: int = 0,
) -> Encoding:
    """Join one or two segments into an Encoding, with [CLS]/[SEP] when `cls_sep` is given."""
    n_a = len(a.ids)
    if cls_sep is None:
        ids, offsets = a.ids + (b.ids if b else []), a.offsets + (b.offsets if b else [])
        word_ids: list[int | None] = [*a.word_ids, *(b.word_ids if b else [])]
        sequence_ids: list[int | None] = [*[0] * n_a, *([1] * len(b.ids) if b else [])]
        specials = [0] * len(ids)
        type_ids = [0] * n_a + ([1] * len(b.ids) if b else [])
    else:
        cls, sep = cls_sep
        ids = [cls, *a.ids, sep]
        offsets = [(0, 0), *a.offsets, (0, 0)]
        word_ids = [None, *a.word_ids, None]
        sequence_ids = [None, *[0] * n_a, None]
        specials = [1, *[0] * n_a, 1]
        type_ids = [0] * (n_a + 2)
        if b is not None:
            n_b = len(b.ids)
            ids += [*b.ids, sep]
            offsets += [*b.offsets, (0, 0)]
            word_ids += [*b.word_ids, None]
            sequence_ids += [*[1] * n_b, None]
            specials += [*[0] * n_b, 1]
            type_ids += [1] * (n_b + 1)
    return Encoding(
        input_ids=ids,
        token_type_ids=type_ids,
        attention_mask=[1] * len(ids),
        special_tokens_mask=specials,
        offsets=offsets,
        word_ids=word_ids,
        sequence_ids=sequence_ids,
        tokens=[id_to_token[i] for i in ids],
        overflow_to_sample=sample,
    )


class BatchEncoding(dict):
    """Many encodings as columns: a dict of lists (or tensors) with attribute access too.

    Keys: input_ids, token_type_ids, attention_mask, special_tokens_mask, offsets, word_ids,
    overflow_to_sample_mapping. `.encodings` keeps the `Encoding` objects.
    """

    def __init__(self, encodings: list[Encoding], return_tensors: str | None = None):
        super().__init__()
        self.encodings = encodings
        for name in ID_FIELDS:
            self[name] = [getattr(e, name) for e in encodings]
        self["offsets"] = [e.offsets for e in encodings]
        self["word_ids"] = [e.word_ids for e in encodings]
        self["overflow_to_sample_mapping"] = [e.overflow_to_sample for e in encodings]
        if return_tensors == "pt":
            self._to_tensors()
        elif return_tensors is not None:
            raise BertkitError(f"return_tensors must be None or 'pt', not {return_tensors!r}")

    def _to_tensors(self) -> None:
        import torch

        if len({len(e) for e in self.encodings}) > 1:
            raise BertkitError("return_tensors='pt' needs equal lengths: use padding='longest'")
        for name in ID_FIELDS:
            self[name] = torch.tensor(self[name], dtype=torch.long)

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def pad_encodings(
    encodings: list[Encoding], padding: str | bool, max_length: int | None, pad: tuple[int, str]
) -> None:
    """Pad in place: "longest" to the batch's longest, "max_length" to `max_length`."""
    if padding is False or padding is None:
        return
    if padding == "longest" or padding is True:
        length = max((len(e) for e in encodings), default=0)
    elif padding == "max_length":
        if max_length is None:
            raise BertkitError("padding='max_length' needs max_length")
        length = max_length
    else:
        raise BertkitError(f"padding must be False, 'longest' or 'max_length', not {padding!r}")
    for e in encodings:
        e.pad(length, *pad)
