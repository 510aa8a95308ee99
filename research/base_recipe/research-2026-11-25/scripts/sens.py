"""Sensitivity check: how much does the video change a random tiny model's output at the answer position?

Compares the last-position logits of four different clips under one prompt (and one clip under another
prompt), and per layer the relative change of the last-position hidden state between two clips. Round
1's "Changing only the video changes the last prompt position's hidden state by about 15%" comes from
this script.

Needs the ``plain`` world's cached frames (prep.py). Run from the repository root (under a minute):

    python research/base_recipe/research-2026-11-25/scripts/sens.py qwen2_vl
"""
import argparse
from pathlib import Path

import numpy as np, torch

REPO = Path(__file__).resolve().parents[4]
ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("family", nargs="?", default="qwen2_vl", help="model family")
ap.add_argument("--data", default=str(REPO / "research" / "base_recipe" / "scratch" / "data"), help="prep.py's data folder")
ap.add_argument("--world", default="plain", help="world whose train-split frames are used")
ap.add_argument("--tiny-init", default="hf", choices=["hf", "fan_in"],
                help="weight init of the random model: hf (default: what tiny() did when round 1 ran) or fan_in (today's default)")
args = ap.parse_args()
torch.set_num_threads(1)
from sf2t.common.prompts import render_question
from sf2t.models import tiny

fam = args.family
llm = tiny(fam, seed=0, init=args.tiny_init, size="mini", image_size=64, num_frames=8)
fr = np.load(Path(args.data) / f"{args.world}-train-f8.npy", mmap_mode="r")
pr = render_question("Roughly what happens in the video?", ["a","b","c","d"])
pr2 = render_question("What object is in the video?", ["a","b","c","d"])
clips = [np.asarray(fr[i]) for i in range(4)]
with torch.no_grad():
    b = llm.encode(clips + [clips[0]], [pr]*4 + [pr2]); b.pop("labels")
    out = llm.model(**b, output_hidden_states=True)
L = out.logits[:, -1]
print("logit diff video0 vs video1..3:", [float((L[0]-L[i]).abs().mean()) for i in (1,2,3)], "prompt change:", float((L[0]-L[4]).abs().mean()))
hs = out.hidden_states
for l, h in enumerate(hs):
    print("layer", l, "last-pos diff across videos", float((h[0,-1]-h[1,-1]).norm()/h[0,-1].norm()))
