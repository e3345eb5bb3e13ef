"""BERT's WordPiece tokenizer, from scratch and exact to Hugging Face's, plus vocab training.

`WordPieceTokenizer` turns text into ids, token types, offsets and word ids (`Encoding`,
`BatchEncoding`); `train_vocab` learns a WordPiece vocabulary from text files.
"""

from bertkit.tokenizer.encoding import BatchEncoding, Encoding
from bertkit.tokenizer.tokenizer import WordPieceTokenizer
from bertkit.tokenizer.train import train_vocab

__all__ = ["BatchEncoding", "Encoding", "WordPieceTokenizer", "train_vocab"]
