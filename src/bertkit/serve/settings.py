"""The server's limits and address, one dataclass; `bertkit serve` fills it from its flags."""

from dataclasses import dataclass

from bertkit.errors import BertkitError


@dataclass
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    max_batch_tokens: int = 16384  # tokens per forward pass (TEI's default): real ones when
    # the model unpads (bertkit's default), else padded
    workers: int = 1  # model threads, each with its own copy of the models
    max_concurrent_requests: int = 512  # inference requests in flight before 429
    max_input_length: int | None = None  # tokens per input; None is each model's maximum
    max_body_bytes: int = 2_000_000  # request bodies over this get 413 (TEI's default)
    max_inputs_per_request: int = 512  # texts in one request
    device: str | None = None
    dtype: str | None = None

    def __post_init__(self) -> None:
        for name in ("max_batch_tokens", "max_concurrent_requests", "max_body_bytes", "workers"):
            if getattr(self, name) <= 0:
                raise BertkitError(f"{name.replace('_', '-')} must be positive")
        if self.max_input_length is not None and self.max_input_length < 3:
            raise BertkitError("max-input-length must be at least 3 ([CLS], a token, [SEP])")
        if not 0 <= self.port < 65536:
            raise BertkitError(f"port must be in 0..65535, got {self.port}")
