"""Pretraining instances from documents of tokenized sentences.

`create_instances`: next-sentence-prediction pairs, [CLS] A [SEP] B [SEP].

The behaviour of google-research/bert `create_instances_from_document`, with an explicit numpy
`rng`: fill a chunk up to the target length with whole sentences, cut it into A and B at a random
sentence boundary; half the time B is replaced by a span of a different document and the unused
sentences go back to be read again; then trim the longer side one token at a time, at a random end.
One deliberate difference: a one-sentence chunk borrows the next sentence rather than always
becoming a random pair, which keeps the random-next share at 50%.

`create_segments`: MLM-only instances, [CLS] sentences [SEP], packed to the full length from
contiguous sentences of one document (RoBERTa's DOC-SENTENCES, Liu et al. 2019 section 4.2).
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class Instance:
    tokens: list[int]  # [CLS] A [SEP] B [SEP]
    num_a: int  # length of "[CLS] A [SEP]": token_type_ids are 0 there and 1 after
    is_random_next: bool  # next_sentence_label: 1 when B comes from another document


def create_instances(
    documents: list[list[list[int]]],
    doc_index: int,
    rng: np.random.Generator,
    *,
    cls_id: int,
    sep_id: int,
    max_seq_length: int = 128,
    short_seq_prob: float = 0.1,
) -> list[Instance]:
    """The NSP pairs of `documents[doc_index]`; random B segments come from the other documents."""
    document = documents[doc_index]
    max_num_tokens = max_seq_length - 3  # [CLS], [SEP], [SEP]
    # Mostly fill the whole sequence, since padding is wasted compute; but sometimes (10%) aim
    # shorter, so that pretraining also sees the short sequences that fine-tuning will feed it.
    # target_seq_length is only a target: max_seq_length is the hard limit.
    target_seq_length = max_num_tokens
    if rng.random() < short_seq_prob:
        target_seq_length = int(rng.integers(2, max_num_tokens + 1))

    # Segments A and B are cut at real sentence boundaries rather than at arbitrary tokens, so
    # that the NSP task is about sentences, as in the paper.
    instances = []
    chunk: list[list[int]] = []
    chunk_length = 0
    i = 0
    while i < len(document):
        chunk.append(document[i])
        chunk_length += len(document[i])
        if i == len(document) - 1 or chunk_length >= target_seq_length:
            a_end = 1 if len(chunk) < 2 else int(rng.integers(1, len(chunk)))
            is_random_next = len(documents) > 1 and rng.random() < 0.5
            if len(chunk) == 1 and not is_random_next:
                # google makes every one-sentence chunk a random pair, which skews the 50/50
                # balance (53% random on WikiText-2); we take the next sentence as B instead.
                if i + 1 < len(document):
                    i += 1
                    chunk.append(document[i])
                else:
                    is_random_next = len(documents) > 1
            tokens_a = [t for sentence in chunk[:a_end] for t in sentence]
            tokens_b: list[int] = []
            if is_random_next:
                target_b_length = target_seq_length - len(tokens_a)
                other = int(rng.integers(0, len(documents) - 1))
                other += other >= doc_index  # any document but this one, uniformly
                random_document = documents[other]
                for sentence in random_document[int(rng.integers(0, len(random_document))) :]:
                    tokens_b.extend(sentence)
                    if len(tokens_b) >= target_b_length:
                        break
                # The unused sentences of the chunk are not wasted: the next chunk starts there.
                i -= len(chunk) - a_end
            else:
                tokens_b = [t for sentence in chunk[a_end:] for t in sentence]
            truncate_pair(tokens_a, tokens_b, max_num_tokens, rng)
            if tokens_a and tokens_b:  # a one-sentence document has no pair to offer
                tokens = [cls_id, *tokens_a, sep_id, *tokens_b, sep_id]
                instances.append(Instance(tokens, len(tokens_a) + 2, is_random_next))
            chunk, chunk_length = [], 0
        i += 1
    return instances


def create_segments(
    document: list[list[int]],
    rng: np.random.Generator,
    *,
    cls_id: int,
    sep_id: int,
    max_seq_length: int = 128,
    short_seq_prob: float = 0.1,
) -> list[Instance]:
    """Full-length MLM-only instances of one document: whole sentences while they fit; a sentence
    longer than a segment is cut across segments. No pair, no label: token_type_ids stay 0."""
    max_num_tokens = max_seq_length - 2  # [CLS], [SEP]
    tokens = [t for sentence in document for t in sentence]
    starts = np.cumsum([0] + [len(s) for s in document])[:-1]
    instances = []
    start = 0
    while start < len(tokens):
        # As for the pairs, a few shorter targets so that pretraining also sees short inputs.
        target = max_num_tokens
        if rng.random() < short_seq_prob:
            target = int(rng.integers(2, max_num_tokens + 1))
        end = min(start + target, len(tokens))
        # End at the last sentence boundary that fits, unless that leaves the segment empty.
        boundaries = starts[(starts > start) & (starts <= end)]
        if end < len(tokens) and len(boundaries):
            end = int(boundaries[-1])
        segment = [cls_id, *tokens[start:end], sep_id]
        instances.append(Instance(segment, len(segment), is_random_next=False))
        start = end
    return instances


def truncate_pair(
    a: list[int], b: list[int], max_num_tokens: int, rng: np.random.Generator
) -> None:
    """Trim the longer of `a` and `b` in place until they fit, one token at a time.

    The token goes from the front or the back at random, to add noise and to avoid a bias towards
    always seeing the start (or the end) of a sentence.
    """
    while len(a) + len(b) > max_num_tokens:
        longer = a if len(a) > len(b) else b
        if rng.random() < 0.5:
            del longer[0]
        else:
            longer.pop()
