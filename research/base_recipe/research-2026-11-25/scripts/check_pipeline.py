"""Pipeline check of one tiny Video-LLM family on a synthetic clip: what the model is given and trains.

Prints the model's parameters per child module, the batch's tensors, the decoded prompt, the tokens the
labels cover, the answer letters' token ids, the video tokens per clip, pixel statistics, the time of
encoding a batch of 16 and of one forward and backward pass, and the parameters that get no gradient.
Round 1's "What was checked in the pipeline" (labels, letters, video tokens, every parameter gets a
gradient) in the study README comes from this script; the label, letter and video-token checks are now
also tests (tests/test_models.py).

Run from the repository root (under a minute per family):

    python research/base_recipe/research-2026-11-25/scripts/check_pipeline.py qwen2_vl --image-size 64 --frames 8
"""

import argparse
import time

import numpy as np
import torch

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("family", nargs="?", default="qwen2_vl", help="model family (qwen2_vl, qwen2_5_vl, llava_onevision, ...)")
p.add_argument("--image-size", type=int, default=64, help="the tiny model's image size")
p.add_argument("--frames", type=int, default=8, help="frames per clip")
p.add_argument("--threads", type=int, default=1, help="torch threads")
a = p.parse_args()
torch.set_num_threads(a.threads)
from sf2t import world
from sf2t.common.prompts import render_question
from sf2t.models import tiny

fam = a.family
size = a.image_size
nf = a.frames
llm = tiny(fam, seed=0, size="mini", image_size=size, num_frames=nf)
m = llm.model
print(llm, "trainable", llm.num_parameters(True))
for name, mod in m.named_children():
    print(" child", name, sum(p.numel() for p in mod.parameters()))
cfg = world.WorldConfig(backgrounds=("plain",))
frames, truth = world.render_video(world.video_seed("train", 5, 0), cfg)
idx = np.linspace(0, 31, nf).round().astype(int)
clip = frames[idx]  # 112px
prompt = render_question("What colour is the object?", ["red", "green", "blue", "yellow"])
b = llm.encode([clip, clip], [prompt, prompt], ["A", "B"])
for k, v in b.items():
    print(k, tuple(v.shape), v.dtype)
ids = b["input_ids"][0]
tok = llm.tokenizer
print("decoded:", repr(tok.decode(ids)))
lab = b["labels"][0]
print("label tokens:", [tok.decode([int(i)]) for i in lab[lab != -100]])
print("letters:", llm.letter_token_ids(list("ABCD")))
vid_id = m.config.video_token_id if hasattr(m.config, "video_token_id") else getattr(m.config, "video_token_index", None)
print("video tokens per clip:", int((ids == vid_id).sum()))
for k in ("video_grid_thw",):
    if k in b: print(k, b[k].tolist())
pv = b.get("pixel_values_videos")
if pv is not None:
    print("pixel_values_videos stats", pv.shape, float(pv.mean()), float(pv.std()))
m.train()
t = time.time()
for _ in range(3):
    b = llm.encode([clip]*16, [prompt]*16, ["A"]*16)
te = (time.time() - t)/3
t = time.time()
loss = llm.loss(b); loss.backward()
print("encode b16 %.3fs  fwd+bwd %.3fs loss %.3f" % (te, time.time()-t, loss.item()))
nograd = [n for n, p in m.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
print("params with zero/none grad:", len(nograd), nograd[:10])
