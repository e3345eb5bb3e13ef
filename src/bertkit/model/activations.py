"""The feed-forward activations, by the names `hidden_act` takes in a config.json (Hugging Face's).

`BertConfig` accepts exactly these names; the encoder and the MLM head's transform look them up.
"gelu" is the exact erf GELU of the original BERT; "gelu_new" is the tanh approximation.
"""

import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "gelu": F.gelu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
    "tanh": torch.tanh,
}
