"""Linear probes on the visual tokens that reach the LM (random init): is the information there?

Fits L-BFGS logistic-regression probes (first 2/3 of the clips train, last 1/3 test) on the video
tokens entering the language model of a random tiny model, for the actor's colour, the coarse action
group and the 4-way direction, against the majority class and a raw-pixel baseline (14x14 downsampled
frames), and prints the accuracies. Only printed output; no file in curves/ comes from it.

Needs the world's cached frames (prep.py). Run from the repository root (a few minutes for 1,200 clips
on one core):

    python research/base_recipe/research-2026-11-25/scripts/probe_feats.py qwen2_vl plain
"""
import argparse
import numpy as np, torch, json, sys, os
from pathlib import Path
REPO = Path(__file__).resolve().parents[4]
ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("family", nargs="?", default="qwen2_vl", help="model family")
ap.add_argument("world", nargs="?", default="plain", help="world of prep.py (plain, full, one)")
ap.add_argument("--n", type=int, default=1200, help="clips probed (the first N of the train split)")
ap.add_argument("--data", default=str(REPO / "research" / "base_recipe" / "scratch" / "data"), help="prep.py's data folder")
ap.add_argument("--tiny-init", default="hf", choices=["hf", "fan_in"],
                help="weight init of the random model: hf (default: what tiny() did when round 1 ran) or fan_in (today's default)")
args = ap.parse_args()
torch.set_num_threads(1)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sf2t.models import tiny
from qa import GROUP, COARSE
fam = args.family; world = args.world
llm = tiny(fam, seed=0, init=args.tiny_init, size="mini", image_size=64, num_frames=8)
m = llm.model
meta = json.loads(open(Path(args.data) / f"{world}-train.json").read())[:args.n]
fr = np.load(Path(args.data) / f"{world}-train-f8.npy", mmap_mode="r")
feats = []
cap = {}
def hook(mod, inp, out):
    cap["x"] = inp[0].detach()
emb = m.get_input_embeddings()
# capture inputs_embeds of the LM: hook the language model's first layer input
lm = m.model.language_model
h = lm.layers[0].register_forward_hook(lambda mod, inp, out: None)
h.remove()
vid_id = getattr(m.config, "video_token_id", None) or getattr(m.config, "video_token_index")
def pre(mod, args, kwargs):
    cap["x"] = kwargs.get("inputs_embeds")
h = lm.register_forward_pre_hook(pre, with_kwargs=True)
with torch.no_grad():
    for s in range(0, len(meta), 32):
        clips = [np.asarray(fr[i]) for i in range(s, min(s + 32, len(meta)))]
        b = llm.encode(clips, ["hi"] * len(clips))
        b.pop("labels")
        m(**b)
        x = cap["x"]
        mask = b["input_ids"] == vid_id
        for r in range(len(clips)):
            feats.append(x[r][mask[r]].numpy())
h.remove()
F = np.stack(feats)  # N, tokens, dim
print("video tokens", F.shape, "emb std", float(F.std()), "text emb std", float(emb.weight.std()))
print("between-clip std / within", float(F.std(0).mean()), float(F.std(1).mean()))
def probe(X, y, name, wd=1e-2):
    n = len(y); tr = n * 2 // 3
    X = (X - X[:tr].mean(0)) / (X[:tr].std(0) + 1e-6)
    classes = sorted(set(y)); yi = torch.tensor([classes.index(v) for v in y])
    X = torch.tensor(X, dtype=torch.float32)
    lin = torch.nn.Linear(X.shape[1], len(classes)); o = torch.optim.LBFGS(lin.parameters(), max_iter=300)
    def closure():
        o.zero_grad(); l = torch.nn.functional.cross_entropy(lin(X[:tr]), yi[:tr]) + wd * lin.weight.pow(2).sum(); l.backward(); return l
    o.step(closure)
    acc = lambda a, b: float((lin(X[a:b]).argmax(1) == yi[a:b]).float().mean())
    maj = float((yi[tr:] == yi[:tr].mode().values).float().mean())
    print(f"{name}: probe acc {acc(tr, n):.3f} (train {acc(0, tr):.3f}, majority {maj:.3f})", flush=True)
ycol = np.array([mm["objects"][mm["actor"]]["color"] for mm in meta])
ygrp = np.array([GROUP[mm["action"]] for mm in meta])
ydir = np.array([mm["action"] for mm in meta])
probe(F.mean(1), ycol, "actor colour, mean-pooled")
probe(F.reshape(len(F), -1), ycol, "actor colour, all tokens")
probe(F.reshape(len(F), -1), ygrp, "coarse group, all tokens")
sel = np.isin(ydir, ["move_left", "move_right", "move_up", "move_down"])
probe(F[sel].reshape(sel.sum(), -1), ydir[sel], "4-way direction, all tokens")
# raw-pixel baseline: difference of last and first frame, downsampled
P = np.stack([np.asarray(fr[i], dtype=np.float32) for i in range(len(meta))])
P = P.reshape(len(P), 8, 14, 8, 14, 8, 3).mean((3, 5))
probe(P.reshape(len(P), -1), ygrp, "coarse group, raw pixels 14x14")
probe(P[sel].reshape(sel.sum(), -1), ydir[sel], "direction, raw pixels 14x14")
