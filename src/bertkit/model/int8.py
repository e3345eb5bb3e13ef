"""int8 inference of one Linear: per-output-channel int8 weights, per-token dynamic activations.

Weights: W ~ diag(w_scale) Wq with Wq = round(W / w_scale) in [-127, 127],
w_scale = max|W_j,:| / 127 per output channel j. Activations, quantized on the fly per token
(row) i, asymmetrically:
x_i ~ s_i (q_i - z_i) with q_i in [0, 255], s_i = (max x_i - min x_i) / 255,
z_i = round(-min x_i / s_i).
Per token, so one large value does not coarsen the other tokens' steps; asymmetric, because a GELU
output or a LayerNorm output with a shifted mean would waste half of a symmetric range (measured on
all-MiniLM-L6-v2: min cosine 0.987 symmetric, 0.996 asymmetric, activations alone).
On a CPU without VNNI the kernel multiplies uint8 x int8 pairs with 16-bit saturating sums
(AVX2's vpmaddubsw: 255 * 127 * 2 overflows), so there activations take 7 bits, [0, 127], and
every sum stays exact (tested against the float formula).
Then y_ij = s_i w_scale_j (sum_k q_ik Wq_jk - z_i sum_k Wq_jk) + b_j, the integer sums exact
in int32.

The integer matmul runs in oneDNN through PyTorch (`torch.ops.onednn.qlinear_pointwise`, the op
PyTorch's x86 int8 compiler path lowers to; VNNI/AMX instructions where the CPU has them, AVX2
byte multiplies otherwise), with unsigned activations as its fast kernels take them. Without that
op (a build without oneDNN) the same formula runs as a float matmul of the integer values, exact
while K * 255 * 127 < 2^24 and close beyond.
"""

import torch
from torch import nn

from bertkit.model.cpu import has_vnni

QMAX = 127  # int8 weights: [-127, 127]


def activation_levels() -> int:
    """The largest uint8 activation value this CPU's int8 kernel sums exactly (see above)."""
    return 255 if has_vnni() else 127


def has_onednn_int8() -> bool:
    """Whether this PyTorch has oneDNN's int8 linear (x86 builds with oneDNN do)."""
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.onednn, "qlinear_pointwise")


def quantize_weight(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, K) float -> (N, K) int8 values and (N,) fp32 scales, one per output channel."""
    w = weight.detach().float()
    scale = w.abs().amax(dim=1).clamp(min=1e-12) / QMAX
    return torch.round(w / scale[:, None]).clamp(-QMAX, QMAX).to(torch.int8), scale


def quantize_rows(
    x: torch.Tensor, levels: int = 255
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(M, K) float -> (M, K) values q in [0, levels] (still float), (M, 1) scales s and zero
    points z, with x ~ s (q - z)."""
    low, high = torch.aminmax(x, dim=1, keepdim=True)
    low, high = low.clamp(max=0.0), high.clamp(min=0.0)  # zero stays exactly representable
    scale = (high - low).clamp(min=1e-12) / levels
    zero = torch.round(-low / scale)
    q = torch.round(x / scale).add_(zero).clamp_(0, levels)
    return q, scale, zero


class Int8Linear(nn.Module):
    """An nn.Linear computed in int8 (see the module docstring); fp32 in, fp32 out. Inference only.

    Args:
        linear: the fp32 layer to quantize.
        use_onednn: run oneDNN's kernel (default: when this PyTorch has it); False runs the
            reference formula as a float matmul.
        levels: the largest activation value (default: `activation_levels()` for this CPU).
    """

    w_scale: torch.Tensor
    w_zero_point: torch.Tensor
    w_sum: torch.Tensor
    bias: torch.Tensor | None
    weight_t: torch.Tensor

    def __init__(
        self, linear: nn.Linear, use_onednn: bool | None = None, levels: int | None = None
    ):
        super().__init__()
        weight, scale = quantize_weight(linear.weight)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.use_onednn = has_onednn_int8() if use_onednn is None else use_onednn
        self.levels = activation_levels() if levels is None else levels
        self.register_buffer("w_scale", scale)
        self.register_buffer("w_zero_point", torch.zeros_like(scale, dtype=torch.long))
        # w_scale_j sum_k Wq_jk: what a zero point z_i takes off row i's outputs.
        self.register_buffer("w_sum", (weight.float().sum(dim=1) * scale)[None, :])  # (1, N)
        bias = linear.bias
        self.register_buffer("bias", None if bias is None else bias.detach().float().clone())
        if self.use_onednn:
            # oneDNN's blocked layout, prepared once; an opaque tensor, so not a buffer.
            self.packed = torch.ops.onednn.qlinear_prepack(weight, None)
        else:
            self.register_buffer("weight_t", weight.t().float().contiguous())  # (K, N)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).float()  # (..., K) -> (M, K)
        q, scale, zero = quantize_rows(rows, self.levels)
        if self.use_onednn:
            acc = torch.ops.onednn.qlinear_pointwise(
                q.to(torch.uint8),
                1.0,
                0,
                self.packed,
                self.w_scale,
                self.w_zero_point,
                None,
                1.0,
                0,
                torch.float32,
                "none",
                [],
                "",
            )  # (M, N): w_scale_j * sum_k q_ik Wq_jk
        else:
            acc = (q @ self.weight_t) * self.w_scale
        acc = torch.addmm(acc, zero, self.w_sum, alpha=-1)  # - z_i w_scale_j sum_k Wq_jk
        y = acc * scale if self.bias is None else torch.addcmul(self.bias, acc, scale)
        return y.view(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        kernel = "onednn" if self.use_onednn else "reference"
        size = f"in_features={self.in_features}, out_features={self.out_features}"
        return f"{size}, levels={self.levels}, {kernel}"
