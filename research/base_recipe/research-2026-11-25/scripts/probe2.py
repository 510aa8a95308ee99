"""Linear probes for the object's colour in a random tiny model, layer by layer (one-object world).

Fits an L-BFGS logistic-regression probe (first 3/4 of the clips train, last 1/4 test) for the colour
of the single object from: the clip's mean RGB (3 features), the video tokens entering the language
model (flattened and mean-pooled), and the last prompt position's hidden state after every layer, and
prints test and train accuracy. It asks where the colour information is lost before training starts.
Only printed output; no file in curves/ comes from it.

Needs the ``one`` world's cached frames (prep.py --worlds one). Run from the repository root (1-3 min
for 400 clips on one core):

    python research/base_recipe/research-2026-11-25/scripts/probe2.py qwen2_vl 400
"""
import argparse
import numpy as np, torch, json, sys, os
from pathlib import Path
REPO = Path(__file__).resolve().parents[4]
ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("family", nargs="?", default="qwen2_vl", help="model family")
ap.add_argument("n", nargs="?", type=int, default=400, help="clips probed (the first N of the train split)")
ap.add_argument("--data", default=str(REPO / "research" / "base_recipe" / "scratch" / "data"), help="prep.py's data folder")
ap.add_argument("--tiny-init", default="hf", choices=["hf", "fan_in"],
                help="weight init of the random model: hf (default: what tiny() did when round 1 ran) or fan_in (today's default)")
args = ap.parse_args()
torch.set_num_threads(1)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qa import question
from sf2t.models import tiny
fam = args.family; N = args.n
llm = tiny(fam, seed=0, init=args.tiny_init, size="mini", image_size=64, num_frames=8)
m = llm.model; m.eval()
meta = json.loads(open(Path(args.data) / "one-train.json").read())[:N]
fr = np.load(Path(args.data) / "one-train-f8.npy", mmap_mode="r")
vid_id = getattr(m.config, "video_token_id", None) or getattr(m.config, "video_token_index")
cap = {}
lm = m.model.language_model
h = lm.register_forward_pre_hook(lambda mod, a, k: cap.__setitem__("x", k["inputs_embeds"]), with_kwargs=True)
rng = np.random.default_rng(0)
V, Hl = [], []
with torch.no_grad():
    for s in range(0, N, 32):
        idx = range(s, min(s + 32, N))
        qs = [question(meta[i], "colorF", rng) for i in idx]
        b = llm.encode([np.asarray(fr[i]) for i in idx], [q[0] for q in qs]); b.pop("labels")
        out = m(**b, output_hidden_states=True)
        mask = b["input_ids"] == vid_id
        last = b["attention_mask"].sum(1) - 1
        for r in range(len(qs)):
            V.append(cap["x"][r][mask[r]].numpy().ravel())
            Hl.append(torch.stack([hs[r, last[r]] for hs in out.hidden_states]).numpy())
V = np.stack(V); Hl = np.stack(Hl)
y = np.array([mm["objects"][0]["color"] for mm in meta])
def probe(X, name, wd=1e-3):
    n = len(y); tr = n * 3 // 4
    X = (X - X[:tr].mean(0)) / (X[:tr].std(0) + 1e-6)
    classes = sorted(set(y)); yi = torch.tensor([classes.index(v) for v in y])
    X = torch.tensor(X, dtype=torch.float32)
    lin = torch.nn.Linear(X.shape[1], len(classes)); o = torch.optim.LBFGS(lin.parameters(), max_iter=200)
    def closure():
        o.zero_grad(); l = torch.nn.functional.cross_entropy(lin(X[:tr]), yi[:tr]) + wd * lin.weight.pow(2).sum(); l.backward(); return l
    o.step(closure)
    acc = lambda a, b: float((lin(X[a:b]).argmax(1) == yi[a:b]).float().mean())
    print(f"{name}: test {acc(tr, n):.3f} train {acc(0, tr):.3f}", flush=True)
P = np.stack([np.asarray(fr[i], dtype=np.float32) for i in range(N)]).mean((1, 2, 3))  # mean RGB
probe(P, "mean RGB of clip (3 features)")
probe(V, "LM-input video tokens (flattened)")
probe(V.reshape(N, 16, -1).mean(1), "LM-input video tokens (mean over tokens)")
for l in range(Hl.shape[1]):
    probe(Hl[:, l], f"last-position hidden, layer {l}")
