"""The tiny config used by unit tests (as in Hugging Face's BertModelTester)."""

from bertkit import BertConfig


def tiny_config(**overrides) -> BertConfig:
    fields = dict(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    fields.update(overrides)
    return BertConfig(**fields)
