"""WordPiece: split one word into vocabulary pieces, greedy longest-match-first.

Reference: google-research/bert `WordpieceTokenizer.tokenize` and HF `tokenizers`
`models/wordpiece`. Pieces after the first carry the "##" prefix. A word longer than
`max_input_chars_per_word`, or one with a position no piece matches, becomes a single [UNK].
Results are cached per word: real text repeats words, so most lookups are one dict hit.
"""

# (ids, spans): piece ids and each piece's (start, end) in the word's characters.
Pieces = tuple[tuple[int, ...], tuple[tuple[int, int], ...]]

_MAX_CACHE = 1_000_000  # distinct words kept; beyond this the cache starts afresh


class WordPiece:
    """Greedy longest-match-first WordPiece over a fixed vocabulary, with a per-word cache."""

    def __init__(
        self,
        vocab: dict[str, int],
        unk_id: int,
        max_input_chars_per_word: int = 100,
        prefix: str = "##",
    ):
        self.vocab = vocab
        self.unk_id = unk_id
        self.max_input_chars_per_word = max_input_chars_per_word
        self.prefix = prefix
        # No piece is longer than this, so longer candidates need not be looked up.
        self.max_piece_chars = max((len(t) for t in vocab), default=1)
        self.cache: dict[str, Pieces] = {}

    def __call__(self, word: str) -> Pieces:
        pieces = self.cache.get(word)
        if pieces is None:
            if len(self.cache) >= _MAX_CACHE:
                self.cache.clear()
            pieces = self.cache[word] = self.split(word)
        return pieces

    def split(self, word: str) -> Pieces:
        """Split `word` (uncached). Returns piece ids and their character spans in `word`."""
        n = len(word)
        if n > self.max_input_chars_per_word:
            return (self.unk_id,), ((0, n),)
        ids, spans = [], []
        start = 0
        while start < n:
            prefix = self.prefix if start > 0 else ""
            end = min(n, start + self.max_piece_chars)
            while end > start:
                piece_id = self.vocab.get(prefix + word[start:end])
                if piece_id is not None:
                    break
                end -= 1
            else:
                return (self.unk_id,), ((0, n),)
            ids.append(piece_id)
            spans.append((start, end))
            start = end
        return tuple(ids), tuple(spans)
