"""summarize: the choice rule (centrality, redundancy penalty, document order), the size options,
one-line errors, and summaries of real WikiText-2 articles with MiniLM."""

import numpy as np
import pytest

from bertkit import BertkitError
from bertkit.pipelines import EmbedPipeline, SummarizePipeline
from bertkit.pipelines.sentences import split_sentences
from bertkit.pipelines.summarize import choose_sentences, summary_size
from tests.conftest import need_file


def wikitext_articles(data_dir, count: int) -> list[str]:
    """The first `count` articles of WikiText-2 validation (" = Title = " starts one)."""
    lines = need_file(data_dir / "wikitext-2-raw" / "wiki.valid.raw").read_text("utf-8")
    articles, current = [], []
    for line in lines.splitlines():
        is_title = line.startswith(" = ") and not line.startswith(" = = ")
        if is_title and any(line.strip() for line in current):
            articles.append("\n".join(current))
            current = []
        current.append(line)
    articles.append("\n".join(current))
    return articles[:count]


def test_pure_centrality_takes_the_sentences_nearest_the_centroid():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(12, 8))
    chosen, centrality = choose_sentences(vectors, 4, diversity=0.0)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    centroid = unit.mean(0) / np.linalg.norm(unit.mean(0))
    np.testing.assert_allclose(centrality, unit @ centroid)
    assert chosen == sorted(np.argsort(-centrality)[:4].tolist())


def test_the_redundancy_penalty_skips_a_repeat():
    # Sentences 0 and 1 say the same thing and are the most central; 2 says something else.
    vectors = np.array([[1.0, 0.2, 0.0], [1.0, 0.2, 0.0], [0.6, -0.8, 0.0], [0.7, 0.7, 0.1]])
    assert choose_sentences(vectors, 2, diversity=0.0)[0] == [0, 1]
    assert choose_sentences(vectors, 2, diversity=0.5)[0] != [0, 1]


@pytest.mark.parametrize(
    ("count", "sentences", "ratio", "expected"),
    [
        (10, None, None, 3),
        (10, 5, None, 5),
        (10, None, 0.25, 2),
        (10, None, 0.01, 1),
        (2, 9, None, 2),
    ],
)
def test_summary_size(count, sentences, ratio, expected):
    assert summary_size(count, sentences, ratio) == expected


@pytest.mark.parametrize(
    ("count", "sentences", "ratio", "message"),
    [
        (1, None, None, "one sentence"),
        (0, None, None, "no sentence"),
        (9, 0, None, "at least 1"),
        (9, None, 1.5, "between 0 and 1"),
        (9, 2, 0.5, "not both"),
    ],
)
def test_bad_sizes_are_one_error(count, sentences, ratio, message):
    with pytest.raises(BertkitError, match=message):
        summary_size(count, sentences, ratio)


@pytest.fixture(scope="module")
def summarize(minilm_dir) -> SummarizePipeline:
    return SummarizePipeline(minilm_dir, sentences=3)


def test_real_articles_summarised_in_document_order_with_offsets(summarize, data_dir):
    articles = wikitext_articles(data_dir, 3)
    summaries = summarize(articles)
    for article, summary in zip(articles, summaries, strict=True):
        sentences = split_sentences(article)
        assert len(summary) == 3
        assert [s.index for s in summary] == sorted(s.index for s in summary)
        for s in summary:
            assert article[s.start : s.end] == s.text == sentences[s.index].text
    one = summarize(articles[0])
    assert [s.text for s in one] == [s.text for s in summaries[0]]


def test_the_chosen_sentences_are_more_central_than_the_rest(summarize, data_dir):
    """With diversity 0 the summary is the top of the centrality ranking, computed here from the
    embed pipeline's own vectors."""
    article = wikitext_articles(data_dir, 1)[0]
    central = SummarizePipeline(summarize.model_dir, sentences=4, diversity=0.0)
    summary = central(article)
    vectors = EmbedPipeline(summarize.model_dir)([s.text for s in split_sentences(article)])
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    centrality = unit @ (unit.mean(0) / np.linalg.norm(unit.mean(0)))
    assert [s.index for s in summary] == sorted(np.argsort(-centrality)[:4].tolist())


def test_one_sentence_is_an_error(summarize):
    with pytest.raises(BertkitError, match="one sentence"):
        summarize("Just one sentence here.")
