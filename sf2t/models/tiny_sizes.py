"""The sizes of a tiny model (`TinySize`, checked before building) and the `MINI` preset: read by
`tiny()` and by the per-family config builders."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TinySize:
    """Sizes of a tiny model. The defaults give about 0.2 M parameters; `MINI` about 2.9 M."""

    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int | None = None
    vision_hidden_size: int = 32
    vision_layers: int = 1
    vision_heads: int = 2
    image_size: int = 64
    num_frames: int = 8
    vocab_size: int = 512
    #: each video frame shown this many times: with a family that merges 2 frames into one token
    #: group (Qwen-VL) and 2 here, every group holds one frame, so frame order inside a pair is not
    #: lost (research/frame_order). Stored in the model's config, so every later load shows it so.
    frame_repeat: int = 1

    @property
    def ffn(self) -> int:
        return self.intermediate_size or 2 * self.hidden_size

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    def validate(self) -> None:
        for name, value in self.__dict__.items():
            if value is None and name == "intermediate_size":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"tiny size {name} must be an integer >= 1, got {value!r}")
        if self.hidden_size % self.num_heads or self.vision_hidden_size % self.vision_heads:
            raise ValueError(f"hidden sizes must divide by the head counts: {self}")
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f"num_heads must be a multiple of num_kv_heads: {self}")
        if self.head_dim % 2 or self.head_dim < 8:
            raise ValueError(f"head_dim = hidden_size/num_heads must be even and >= 8: {self}")
        if self.image_size < 32 or self.image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16 (>= 32), got {self.image_size}")


# about 2.9 M parameters, 4 layers: the size that learned 4-way direction on CPU (design §5)
MINI = {
    "hidden_size": 256,
    "num_layers": 4,
    "num_heads": 4,
    "num_kv_heads": 2,
    "vision_hidden_size": 64,
    "vision_layers": 2,
    "vision_heads": 2,
}


def check_frame_repeat(dims: TinySize, family: str, temporal_merge: int) -> None:
    """`TinySize.frame_repeat` is 1 or the family's temporal merge (the frames one token group holds)."""
    if dims.frame_repeat not in (1, temporal_merge):
        raise ValueError(
            f"frame_repeat {dims.frame_repeat} for {family}: it must be 1 or the family's temporal merge "
            f"({temporal_merge}, the frames one token group holds)"
        )


def tiny_size(**size) -> TinySize:
    """`TinySize` from keyword sizes (``size="mini"`` selects `MINI`, other keywords override it),
    checked: unknown fields and impossible sizes raise ValueError before anything is built."""
    preset = size.pop("size", None)
    if preset is not None:
        if preset != "mini":
            raise ValueError(f"unknown tiny size preset {preset!r}; known: 'mini'")
        size = {**MINI, **size}
    unknown = set(size) - set(TinySize.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown tiny size fields {sorted(unknown)}; known: {sorted(TinySize.__dataclass_fields__)}")
    dims = TinySize(**size)
    dims.validate()
    return dims
