"""Linear probes on the visual tokens that reach the LM (random init): is the information there?"""
import numpy as np, torch, json, sys
torch.set_num_threads(1)
from sf2t.models import tiny
from qa import GROUP, COARSE
fam = sys.argv[1]; world = sys.argv[2] if len(sys.argv) > 2 else "plain"
llm = tiny(fam, seed=0, size="mini", image_size=64, num_frames=8)
m = llm.model
meta = json.loads(open(f"data/{world}-train.json").read())[:1200]
fr = np.load(f"data/{world}-train-f8.npy", mmap_mode="r")
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
