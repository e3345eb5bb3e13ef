"""The BERT encoder: embeddings -> N x (attention, add & norm, feed-forward, add & norm) -> pooler.

Devlin et al. 2018, "BERT: Pre-training of Deep Bidirectional Transformers" (section 3), with the
post-LayerNorm layer of Vaswani et al. 2017. Weight names are ours; `bertkit.interop.hf` maps them.
Shapes: B batch, T tokens, C hidden, H heads, D head dim (C = H * D), F feed-forward width,
N real (unpadded) tokens.
"""

import torch
from torch import nn

from bertkit.model.activations import ACTIVATIONS
from bertkit.model.attention import eager_attention, get_attention
from bertkit.model.config import BertConfig, ConfigError
from bertkit.model.outputs import BertOutput
from bertkit.model.pretrained import PreTrainedBert
from bertkit.model.unpad import Packing, packed_attention, packing, repad, unpad


class Embeddings(nn.Module):
    """Token + segment + learned position embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.tok_emb = nn.Embedding(config.vocab_size, config.hidden_size, config.pad_token_id)
        self.pos_emb = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.seg_emb = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.size(1), device=input_ids.device)  # (T,)
        x = self.tok_emb(input_ids) + self.seg_emb(token_type_ids) + self.pos_emb(positions)
        return self.dropout(self.norm(x))  # (B, T, C)


class SelfAttention(nn.Module):
    """Multi-head self-attention with one fused projection for queries, keys and values.

    `padding` says how padding is kept out of attention: an additive (B, 1, 1, T) bias on the keys
    of a padded (B, T, C) batch, or, for an unpadded batch of (N, C) real tokens, its `Packing`.
    """

    def __init__(self, config: BertConfig, attn_backend: str):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.head_dim = config.head_dim
        self.dropout_p = config.attention_probs_dropout_prob
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.out = nn.Linear(config.hidden_size, config.hidden_size)
        self.attend = get_attention(attn_backend)

    def forward(
        self, x: torch.Tensor, padding: torch.Tensor | Packing | None, need_weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        dropout_p = self.dropout_p if self.training else 0.0
        if isinstance(padding, Packing):
            qkv = self.qkv(x).view(-1, 3, self.num_heads, self.head_dim)  # (N, 3C) -> (N, 3, H, D)
            y = packed_attention(qkv, padding, dropout_p)  # -> (N, H, D)
            return self.out(y.flatten(1)), None
        B, T, C = x.shape
        qkv = self.qkv(x).view(
            B, T, 3, self.num_heads, self.head_dim
        )  # (B, T, 3C) -> (B, T, 3, H, D)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # -> 3 x (B, H, T, D)
        # The probabilities exist only on the eager path, so asking for them selects it.
        attend = eager_attention if need_weights else self.attend
        y, probs = attend(q, k, v, padding, dropout_p, need_weights)
        y = y.transpose(1, 2).reshape(B, T, C)  # (B, H, T, D) -> (B, T, C)
        return self.out(y), probs


class FeedForward(nn.Module):
    """Position-wise C -> F -> C with the configured activation (GELU for BERT)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.ffn_in = nn.Linear(config.hidden_size, config.intermediate_size)
        self.ffn_out = nn.Linear(config.intermediate_size, config.hidden_size)
        self.act = ACTIVATIONS[config.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ffn_out(self.act(self.ffn_in(x)))


class EncoderLayer(nn.Module):
    """One post-LN Transformer layer: x = LN(x + attn(x)); x = LN(x + ffn(x))."""

    def __init__(self, config: BertConfig, attn_backend: str):
        super().__init__()
        self.attn = SelfAttention(config, attn_backend)
        self.attn_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.ffn = FeedForward(config)
        self.ffn_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self, x: torch.Tensor, padding: torch.Tensor | Packing | None, need_weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        a, probs = self.attn(x, padding, need_weights)
        x = self.attn_norm(x + self.dropout(a))
        x = self.ffn_norm(x + self.dropout(self.ffn(x)))
        return x, probs


class Encoder(nn.Module):
    """The stack of layers; optionally collects every layer's hidden states and attention.

    With `unpad` (the default), a batch with padding is packed into its (N, C) real tokens before
    the first layer and scattered back to (B, T, C) after the last (`bertkit.model.unpad`): this is
    the one place where unpadding happens. Real positions get the padded reference's values,
    padding positions get zeros. Asking for attention probabilities selects the padded path, since
    they are (B, H, T, T) tensors that only the eager function returns.
    """

    def __init__(self, config: BertConfig, attn_backend: str, unpad: bool):
        super().__init__()
        self.unpad = unpad
        self.layers = nn.ModuleList(
            EncoderLayer(config, attn_backend) for _ in range(config.num_hidden_layers)
        )

    def forward(
        self,
        x: torch.Tensor,
        attention_mask: torch.Tensor | None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> BertOutput:
        pack = None
        if (
            self.unpad
            and not output_attentions
            and attention_mask is not None
            and not bool(attention_mask.all())  # a batch without padding has nothing to skip
        ):
            pack = packing(attention_mask)
            x = unpad(x, pack)  # (B, T, C) -> (N, C)
        padding = pack if pack is not None else attention_bias(attention_mask, x.dtype)

        def dense(h: torch.Tensor) -> torch.Tensor:
            return h if pack is None else repad(h, pack)  # (N, C) -> (B, T, C)

        hidden_states = [dense(x)] if output_hidden_states else None
        attentions = [] if output_attentions else None
        for layer in self.layers:
            x, probs = layer(x, padding, output_attentions)
            if hidden_states is not None:
                hidden_states.append(dense(x))
            if attentions is not None:
                attentions.append(probs)
        return BertOutput(
            last_hidden_state=hidden_states[-1] if hidden_states is not None else dense(x),
            hidden_states=tuple(hidden_states) if hidden_states is not None else None,
            attentions=tuple(attentions) if attentions is not None else None,
        )


class Pooler(nn.Module):
    """tanh(W h_[CLS] + b): the sentence vector that next-sentence prediction was trained on."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(x[:, 0]))  # (B, T, C) -> (B, C)


def attention_bias(attention_mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """(B, T) mask with 1 for real tokens -> (B, 1, 1, T) additive bias that hides padding keys."""
    if attention_mask is None:
        return None
    bias = (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
    return bias


class BertModel(PreTrainedBert):
    """The bare encoder: token ids in, contextual vectors (and the pooled [CLS] vector) out.

    Args:
        config: the architecture.
        attn_backend: "sdpa" (default, fused) or "eager" (the reference); not saved with weights.
        use_pooler: build the tanh pooler (heads on single tokens do not need it).
        unpad: run the layers on the real tokens only (default; see `Encoder`): the same outputs
            at real positions, zeros at padding positions, and no work spent on padding.
            `unpad=False` is the padded reference. A runtime choice, never saved with the weights.

    The eager backend is the padded reference (the function that returns probabilities), so it
    needs `unpad=False`: the packed path runs fused attention per sequence length.
    """

    def __init__(
        self,
        config: BertConfig,
        attn_backend: str = "sdpa",
        use_pooler: bool = True,
        unpad: bool = True,
    ):
        super().__init__()
        check_unpad(attn_backend, unpad)
        self.config = config
        self.embeddings = Embeddings(config)
        self.encoder = Encoder(config, attn_backend, unpad)
        self.pooler = Pooler(config) if use_pooler else None
        init_weights(self, config)

    @property
    def unpad(self) -> bool:
        return self.encoder.unpad

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> BertOutput:
        """Encode a batch.

        Args:
            input_ids: (B, T) token ids.
            token_type_ids: (B, T) segment ids, 0 for sentence A and 1 for B (default all 0).
            attention_mask: (B, T), 1 for real tokens and 0 for padding (default all 1).
        """
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.embeddings(input_ids, token_type_ids)
        out = self.encoder(x, attention_mask, output_hidden_states, output_attentions)
        if self.pooler is not None:
            out.pooler_output = self.pooler(out.last_hidden_state)
        return out


def check_unpad(attn_backend: str, unpad: bool) -> None:
    """Refuse the one combination that would silently run another attention than asked for."""
    if unpad and attn_backend == "eager":
        raise ConfigError(
            "attn_backend='eager' is the padded reference: build the model with unpad=False"
        )


@torch.no_grad()
def init_weights(module: nn.Module, config: BertConfig) -> None:
    """BERT initialisation: weights ~ N(0, initializer_range), biases 0, LayerNorm 1 and 0."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            m.weight.normal_(0.0, config.initializer_range)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.Embedding):
            m.weight.normal_(0.0, config.initializer_range)
            if m.padding_idx is not None:
                m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            m.weight.fill_(1.0)
            m.bias.zero_()
