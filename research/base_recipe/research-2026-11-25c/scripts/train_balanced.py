"""One base-recipe run with class balance and a larger tokenizer: round 3's training script.

Round 1's train.py plus this study's train.py.patch, applied: round 2's changes (stages and competence
--gates, --eval-kinds, per-kind held-out letter NLL, letter_ce, --out) and this round's: --balance
(training videos drawn uniformly over the five coarse action groups), --vocab (the tiny tokenizer's
vocabulary size; 2048 gives whole-word tokens), per-group held-out accuracy of the coarse action
("happeningF:moves", ...) and the text-only "match" kind (qa_with_match.py). Writes one CSV row per
eval to --out/<name>.csv; every CSV in the study's curves/ comes from it (the .log files are its
standard output, textmatch_lr1e-3.log excepted).

Needs the ``one`` world of round 1's prep.py (``prep.py --worlds one``). Run from the repository root,
one process at a time. The mixed run that decided the mini recipe (`e5`, 2,000 steps in 24 min):

    python research/base_recipe/research-2026-11-25c/scripts/train_balanced.py \
        --name e5_q2_64_mix_fixed_shuffled_bal_v2048 --world one --lr 3e-4 --vocab 2048 --balance \
        --kinds happeningF,happening,colorF,object --steps 3000 --minutes 26 --eval-every 200

and the action-only run (`e3`, 1,688 steps in 14 min): --kinds happeningF --minutes 14 with the same
model options (--seed 1 for e6). These options are read back from the logs and the README (the
--minutes caps from the logs' wall times); the exact command lines were not recorded. A smoke run (under a minute): --steps 3 --eval-every 2 --eval-n 8
--ntrain 32.
"""
import argparse, csv, json, math, os, sys, time
from pathlib import Path
import numpy as np
import torch

REPO = Path(__file__).resolve().parents[4]
p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                            epilog=__doc__.split("\n\n", 1)[1])
p.add_argument("--data", default=str(REPO / "research" / "base_recipe" / "scratch" / "data"),
               help="data folder of round 1's prep.py (research/base_recipe/research-2026-11-25/scripts/prep.py)")
p.add_argument("--family", default="qwen2_vl")
p.add_argument("--world", default="plain")
p.add_argument("--frames", type=int, default=8)
p.add_argument("--image-size", type=int, default=64)
p.add_argument("--size", default='{"hidden_size":256,"num_layers":4,"num_heads":4,"num_kv_heads":2,"vision_hidden_size":64,"vision_layers":2,"vision_heads":2}')
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--vision-lr", type=float, default=None)
p.add_argument("--lm-lr", type=float, default=None)
p.add_argument("--head-lr", type=float, default=None)
p.add_argument("--head-steps", type=int, default=0, help="first train only lm_head (linear probe), then everything")
p.add_argument("--reinit", default=None, help="'fanin': Linear/Conv weights ~ N(0, 1/fan_in) instead of N(0, 0.02^2)")
p.add_argument("--wd", type=float, default=0.0)
p.add_argument("--warmup", type=int, default=30)
p.add_argument("--schedule", default="const", choices=["const", "cosine"])
p.add_argument("--steps", type=int, default=600)
p.add_argument("--minutes", type=float, default=5.0, help="stop after this wall time")
p.add_argument("--batch", type=int, default=16)
p.add_argument("--ntrain", type=int, default=3000)
p.add_argument("--kinds", default="object,happening", help="phases separated by ';' with @step, e.g. 'object@0;object,happening@100'")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--gates", default=None, help="competence gates, one per stage transition, ';'-separated, e.g. "
               "'colorF>=0.9,shapeF>=0.9;happeningF_bal>=0.7': the next stage starts at the first held-out eval that "
               "meets every condition (the @steps in --kinds are then ignored)")
p.add_argument("--eval-every", type=int, default=50)
p.add_argument("--eval-n", type=int, default=240)
p.add_argument("--eval-kinds", default=None, help="kind:n,... held-out questions per kind (default: training kinds, eval-n each)")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--init", default=None, help="checkpoint folder to start from")
p.add_argument("--save", default=None)
p.add_argument("--name", required=True)
p.add_argument("--out", default=str(REPO / "research" / "base_recipe" / "scratch" / "research-2026-11-25c" / "curves"),
               help="folder of the curve CSV (the study's committed curves are in its curves/)")
p.add_argument("--clip", type=float, default=1.0)
p.add_argument("--balance", action="store_true", help="draw training videos balanced over coarse action groups")
p.add_argument("--vocab", type=int, default=512)
a = p.parse_args()
torch.set_num_threads(a.threads)
sys.path.insert(0, os.path.dirname(__file__))
from qa_with_match import question, GROUP, COARSE
from sf2t.models import tiny, load

D = Path(a.data)
tr_meta = json.loads((D / f"{a.world}-train.json").read_text())[: a.ntrain]
tr_frames = np.load(D / f"{a.world}-train-f{a.frames}.npy", mmap_mode="r")
te_meta = json.loads((D / f"{a.world}-labelled.json").read_text())
te_frames = np.load(D / f"{a.world}-labelled-f{a.frames}.npy", mmap_mode="r")

torch.manual_seed(a.seed)
if a.init:
    llm = load(a.init)
else:
    llm = tiny(a.family, seed=a.seed, image_size=a.image_size, num_frames=a.frames, vocab_size=a.vocab, **json.loads(a.size))
model = llm.model
if a.reinit == "fanin" and not a.init:
    g = torch.Generator().manual_seed(a.seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.Conv3d)):
                fan_in = mod.weight[0].numel()
                mod.weight.normal_(0, fan_in ** -0.5, generator=g)
                if mod.bias is not None: mod.bias.zero_()
nparams = llm.num_parameters()
def part(n):
    if "lm_head" in n: return "head"
    if any(k in n for k in ("visual", "vision_tower", "multi_modal_projector", "image_newline")): return "vision"
    return "lm"
lrs = {"head": a.head_lr or a.lr, "vision": a.vision_lr or a.lr, "lm": a.lm_lr or a.lr}
groups = [{"params": [p for n, p in model.named_parameters() if part(n) == k], "lr": lrs[k], "part": k} for k in lrs]
print({g["part"]: sum(p.numel() for p in g["params"]) for g in groups})
for g in groups: g["base_lr"] = g["lr"]
opt = torch.optim.AdamW(groups, lr=a.lr, weight_decay=a.wd, betas=(0.9, 0.98))

phases = []
for ph in a.kinds.split(";"):
    ks, _, at = ph.partition("@")
    phases.append((int(at or 0), ks.split(",")))
gates = [[(c.split(">=")[0], float(c.split(">=")[1])) for c in g.split(",")] for g in a.gates.split(";")] if a.gates else None
stage = 0
def kinds_at(step):
    if gates is not None:
        return phases[stage][1]
    cur = phases[0][1]
    for at, ks in phases:
        if step >= at: cur = ks
    return cur
all_kinds = sorted({k for _, ks in phases for k in ks})

# fixed held-out questions
erng = np.random.default_rng(12345)
eval_n = ({k: int(n) for k, _, n in (s.partition(":") for s in a.eval_kinds.split(","))} if a.eval_kinds
          else {k: a.eval_n for k in all_kinds})
evalset = {k: [] for k in eval_n}
for k in eval_n:
    for i in erng.permutation(len(te_meta)):
        i = int(i); m = te_meta[i]
        q = question(m, k, erng)
        if q is not None:
            evalset[k].append((i, *q))
        if len(evalset[k]) >= eval_n[k]: break

def evaluate():
    model.eval()
    res = {}
    for k, items in evalset.items():
        correct, per, nll = [], {}, []
        for s in range(0, len(items), 32):
            chunk = items[s:s + 32]
            fr = [np.asarray(te_frames[i]) for i, *_ in chunk]
            sc = llm.letter_scores_batch(fr, [c[1] for c in chunk], [list(c[4]) for c in chunk])
            for (i, pr, let, ans, letters), sco in zip(chunk, sc):
                ok = letters[int(np.argmax(sco))] == let
                nll.append(-float(sco[letters.index(let)]))
                correct.append(ok)
                per.setdefault(ans if k != "object" else "-", []).append(ok)
        res[k] = float(np.mean(correct))
        if k.rstrip("F") == "happening":
            for g, v in per.items(): res[k + ":" + g.split()[-1]] = round(float(np.mean(v)), 2)
        res[k + "_nll"] = float(np.mean(nll))
        if k.rstrip("F") in ("happening", "direction"):
            res[k + "_bal"] = float(np.mean([np.mean(v) for v in per.values()]))
    model.train()
    return res

rng = np.random.default_rng(a.seed + 1000)
by_group = {}
for i, m in enumerate(tr_meta): by_group.setdefault(GROUP[m["action"]], []).append(i)
print({g: len(v) for g, v in by_group.items()})
out = Path(a.out) / f"{a.name}.csv"
out.parent.mkdir(parents=True, exist_ok=True)
rows = []
def lr_at(step):
    if step < a.head_steps: return 1.0
    step -= a.head_steps
    if step < a.warmup: return (step + 1) / a.warmup
    if a.schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - a.warmup) / max(1, a.steps - a.warmup))))
    return 1.0
print(f"run {a.name}: {a.family} params {nparams:,} kinds {a.kinds} load {os.getloadavg()[0]:.1f}", flush=True)
t0 = time.time(); losses = []; letter_losses = []; train_time = 0.0
model.train()
for step in range(a.steps + 1):
    if step % a.eval_every == 0 or step == a.steps:
        te = time.time(); r = evaluate(); te = time.time() - te
        row = {"step": step, "wall_s": round(time.time() - t0, 1), "train_s": round(train_time, 1),
               "loss": round(float(np.mean(losses)) if losses else float("nan"), 4),
               "letter_ce": round(float(np.mean(letter_losses)) if letter_losses else float("nan"), 4), "stage_kinds": "+".join(kinds_at(step)), **{k: round(v, 4) for k, v in r.items()}}
        if gates is not None and stage < len(gates) and all(r[k] >= v for k, v in gates[stage]):
            stage += 1
            print(f"stage {stage} starts at step {step}", flush=True)
        row["stage"] = stage if gates is not None else ""
        rows.append(row); losses = []; letter_losses = []
        print(json.dumps(row), f"eval {te:.0f}s load {os.getloadavg()[0]:.1f}", flush=True)
        with open(out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[-1].keys())); w.writeheader(); [w.writerow(x) for x in rows]
    if step == a.steps or time.time() - t0 > a.minutes * 60:
        break
    ts = time.time()
    ks = kinds_at(step)
    fr, prs, ans = [], [], []
    while len(fr) < a.batch:
        i = int(rng.integers(len(tr_meta)))
        if a.balance:
            g = list(COARSE)[int(rng.integers(len(COARSE)))]
            i = int(by_group[g][int(rng.integers(len(by_group[g])))])
        q = question(tr_meta[i], ks[int(rng.integers(len(ks)))], rng)
        if q is None: continue
        fr.append(np.asarray(tr_frames[i])); prs.append(q[0]); ans.append(q[1])
    f = lr_at(step)
    for g in opt.param_groups:
        g["lr"] = g["base_lr"] * f if (step >= a.head_steps or g["part"] == "head") else 0.0
    batch = llm.to_device(llm.encode(fr, prs, ans))
    outp = model(**batch)
    loss = outp.loss
    with torch.no_grad():
        lab = batch["labels"]; first = (lab != -100).int().argmax(1)
        rows_ = torch.arange(lab.shape[0])
        lg = outp.logits[rows_, first - 1].float()
        letter_losses.append(torch.nn.functional.cross_entropy(lg, lab[rows_, first]).item())
    opt.zero_grad(); loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
    opt.step()
    losses.append(loss.item())
    train_time += time.time() - ts
if a.save:
    llm.save(a.save)
print("done", a.name, "steps", step, "wall", round(time.time() - t0), flush=True)
