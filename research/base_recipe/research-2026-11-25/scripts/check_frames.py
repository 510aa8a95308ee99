"""Pipeline check: do all frames of a clip reach the model, in order?

Feeds one clip whose frame k is the constant value 10 + 15k through a tiny model's own processor and
prints the per-frame (Qwen: per temporal group and frame) mean of the pixel values the model receives,
and the number of video tokens in the prompt. Round 1's finding ("All 8 frames reach the model in
order"; the video-token counts per family) in the study README comes from this script.

Run from the repository root (seconds per family):

    python research/base_recipe/research-2026-11-25/scripts/check_frames.py qwen2_vl --frames 8
"""

import argparse

import numpy as np
import torch

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("family", nargs="?", default="qwen2_vl", help="model family (qwen2_vl, qwen2_5_vl, llava_onevision, ...)")
p.add_argument("--frames", type=int, default=8, help="frames per clip")
p.add_argument("--input-size", type=int, default=112, help="side of the frames given to the processor")
p.add_argument("--image-size", type=int, default=64, help="the tiny model's image size (the processor resizes to it)")
a = p.parse_args()
torch.set_num_threads(1)
from sf2t.models import tiny

fam = a.family; nf = a.frames; inp = a.input_size; size = a.image_size
llm = tiny(fam, seed=0, size="mini", image_size=size, num_frames=nf)
clip = np.zeros((nf, inp, inp, 3), np.uint8)
for k in range(nf):
    clip[k] = 10 + 15 * k
b = llm.encode([clip], ["hi"], ["A"])
pv = b["pixel_values_videos"]
print(fam, "pixel_values_videos", tuple(pv.shape), {k: (tuple(v.shape) if hasattr(v,'shape') else v) for k,v in b.items()})
if pv.ndim == 2:  # qwen layout: rows = patches, cols = C*tp*p*p
    thw = b["video_grid_thw"][0].tolist(); tp = 2; C = 3
    p = int((pv.shape[1] // (C * tp)) ** 0.5)
    x = pv.reshape(thw[0], thw[1] * thw[2], C, tp, p, p)
    print("grid", thw, "patch", p)
    print("per (group, tp) mean of channel 0:", x[:, :, 0].mean(dim=(1, 3, 4)).round(decimals=3).tolist())
else:
    print("per-frame mean channel 0:", pv[0, :, 0].mean(dim=(-1, -2)).round(decimals=3).tolist())
print("video tokens:", int((b["input_ids"] == getattr(llm.model.config, "video_token_id", getattr(llm.model.config, "video_token_index", -1))).sum()))
