"""Probe: can the tiny LM learn option->letter lookup from text alone, and how fast?

Trains a tiny model's language model (no video) on 'Which option says "X"?' questions
(qa_with_match.match_question) with the answer letter's cross-entropy, and prints the accuracy on 256
fixed held-out questions every 100 steps as JSON lines. The study's curves/textmatch_lr1e-3.log is
its output (lr 1e-3, batch 32, vocab 512: the defaults; stopped after 450 steps, about 6 min).

Run from the repository root (no data needed; --minutes caps the wall time):

    python research/base_recipe/research-2026-11-25c/scripts/textmatch.py --minutes 8 | tee textmatch_lr1e-3.log

A smoke run (under a minute): --steps 3.
"""
import argparse, json, time, sys, os
import numpy as np, torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qa_with_match import match_question
from sf2t.models import tiny
p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                            epilog=__doc__.split("\n\n", 1)[1])
p.add_argument("--family", default="qwen2_vl"); p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--batch", type=int, default=32); p.add_argument("--steps", type=int, default=3000)
p.add_argument("--minutes", type=float, default=8); p.add_argument("--seed", type=int, default=0)
p.add_argument("--size", default='{"hidden_size":256,"num_layers":4,"num_heads":4,"num_kv_heads":2,"vision_hidden_size":64,"vision_layers":2,"vision_heads":2}')
a = p.parse_args(); torch.set_num_threads(1); torch.manual_seed(a.seed)
llm = tiny(a.family, seed=a.seed, **json.loads(a.size)); model = llm.model; tok = llm.processor.tokenizer
opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=a.lr, betas=(0.9, 0.98))
rng = np.random.default_rng(a.seed); erng = np.random.default_rng(999)
def batch(r, n):
    ids, tgt = [], []
    for _ in range(n):
        pr, let, *_ = match_question(r)
        x = tok(pr + "\nAnswer: ")["input_ids"]; ids.append(x); tgt.append(tok(let, add_special_tokens=False)["input_ids"][0])
    L = max(map(len, ids)); pad = tok.pad_token_id or 0
    X = torch.tensor([x + [pad] * (L - len(x)) for x in ids]); M = torch.tensor([[1] * len(x) + [0] * (L - len(x)) for x in ids])
    pos = torch.tensor([len(x) - 1 for x in ids]); return X, M, pos, torch.tensor(tgt)
EX = batch(erng, 256)
def evaluate():
    with torch.no_grad():
        X, M, pos, T = EX; lg = model(input_ids=X, attention_mask=M).logits[torch.arange(len(X)), pos]
        return float((lg.argmax(-1) == T).float().mean())
t0 = time.time()
for step in range(a.steps + 1):
    if step % 100 == 0:
        print(json.dumps({"step": step, "s": round(time.time() - t0), "acc": evaluate()}), flush=True)
    if time.time() - t0 > a.minutes * 60: break
    X, M, pos, T = batch(rng, a.batch)
    lg = model(input_ids=X, attention_mask=M).logits[torch.arange(len(X)), pos]
    loss = torch.nn.functional.cross_entropy(lg, T); opt.zero_grad(); loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
