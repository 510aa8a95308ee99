"""Shared helpers for the frame-order study (issue 16): worlds, samples in answer-text form,
cloze scoring, a small full-fine-tuning loop, Wilson intervals.

Research code: it imports `sf2t` but changes nothing in it. Videos are rendered in memory with
`sf2t.synth.render_video` (the exact pixels the MP4 encodes, before H.264; on the plain background
the difference is a few grey levels), so every number here is reproducible without files.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch

torch.set_num_threads(1)

from sf2t.synth import WorldConfig, render_video, video_seed  # noqa: E402
from sf2t.tasks import Disorder, Rearrangement, TaskSkip  # noqa: E402
from sf2t.video import Clip  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FAMILIES4 = ("qwen2_vl", "qwen2_5_vl", "llava_onevision", "llava_next_video")
MINI_ACTIONS = (
    "move_left", "move_right", "move_up", "move_down", "rotate", "grow", "shrink",
    "change_color", "appear", "disappear", "fall_off",
)
MOVES = ("move_left", "move_right", "move_up", "move_down")
MINI_SIZE = dict(hidden_size=256, num_layers=4, num_heads=4, num_kv_heads=2, vision_hidden_size=64,
                 vision_layers=2, vision_heads=2, vocab_size=2048)


def world(name: str = "mini", **over) -> WorldConfig:
    """`mini` = configs/experiment/mini.json's world; `moves` = the same world, translations only."""
    base = dict(width=64, height=64, num_frames=16, backgrounds=("plain",), min_objects=1, max_objects=1,
                actions=MINI_ACTIONS)
    if name == "moves":
        base["actions"] = MOVES
    elif name != "mini":
        raise ValueError(name)
    base.update(over)
    return WorldConfig(**base)


def videos(cfg: WorldConfig, split: str, run_seed: int, n: int, offset: int = 0):
    """[(frames (T,H,W,3) uint8, truth)] for videos `offset .. offset+n` of (split, run_seed)."""
    return [render_video(video_seed(split, run_seed, offset + i), cfg) for i in range(n)]


def clip_of(frames, truth) -> Clip:
    return Clip(truth["video"], frames, np.arange(len(frames)), float(truth["fps"]), len(frames))


def centre(box):
    return None if box is None else ((box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0, box[2] - box[0])


@dataclass
class Item:
    """One sample in answer-text form: frames as shown, the prompt, candidate answers, the index
    of the correct one, numbered-frames flag, and the actor's truth (x, y, size) per shown frame."""

    task: str
    frames: np.ndarray
    prompt: str
    options: list
    answer: int
    numbered: bool
    states: list
    meta: dict

    @property
    def answer_text(self):
        return self.options[self.answer]


DISORDER_Q = "Are these frames in the correct temporal order? Answer yes or no."
REARRANGE_Q = "These frames of a video are shuffled. Which order of frame numbers restores the video?"


def make_items(vids, task: str, per_video: int, seed: int, **task_kw) -> list[Item]:
    """Samples of `task` ('disorder' | 'rearrangement') from `vids`, via sf2t.tasks (so the same
    perturbations, balance and pixel checks), rewritten to answer with the option's text."""
    if task == "disorder":
        t = Disorder(**task_kw)
    elif task == "rearrangement":
        t = Rearrangement(**task_kw)
    else:
        raise ValueError(task)
    rng = np.random.default_rng(seed)
    out, slot = [], 0
    for frames, truth in vids:
        clip = clip_of(frames, truth)
        for _ in range(per_video):
            try:
                s = t.sample(clip, rng, slot=slot)
            except TaskSkip:
                continue
            slot += 1
            idx = list(s.indices)
            states = [centre(truth["boxes"][i][truth["actor"]]) for i in idx]
            if task == "disorder":
                out.append(Item(task, s.frames, DISORDER_Q, ["yes", "no"], 0 if s.meta["in_order"] else 1, False,
                                states, {**s.meta, "action": truth["action"], "video": truth["id"]}))
            else:
                ans = "ABCDEF".index(s.answer)
                out.append(Item(task, s.frames, REARRANGE_Q, list(s.options), ans, True, states,
                                {**s.meta, "action": truth["action"], "video": truth["id"]}))
    return out


# --------------------------------------------------------------------------- scoring


def wilson(k: int, n: int, z: float = 1.96):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (round(c - h, 3), round(c + h, 3))


def seq_logprobs(llm, batch) -> torch.Tensor:
    """Summed log-probability of the labelled tokens of each sequence in an encoded batch."""
    out = llm.model(**llm.to_device({k: v for k, v in batch.items() if k != "labels"}))
    logits = out.logits[:, :-1].float()
    labels = batch["labels"][:, 1:].to(logits.device)
    mask = labels != -100
    lp = torch.log_softmax(logits, -1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (lp * mask).sum(1)


@torch.no_grad()
def cloze(llm, items, text_fn=None, chunk: int = 8) -> dict:
    """Accuracy by cloze: argmax over options of log P(option + end of turn | frames, question);
    also per-character normalised. `text_fn(item)` -> prompt makes a text-only item (no frames)."""
    llm.model.eval()
    right = right_norm = 0
    preds = []
    for it in items:
        k = len(it.options)
        if text_fn is None:
            scores = []
            for s in range(0, k, chunk):
                opts = it.options[s:s + chunk]
                b = llm.encode([it.frames] * len(opts), [it.prompt] * len(opts), answers=opts,
                               numbered=[it.numbered] * len(opts))
                scores.append(seq_logprobs(llm, b))
            scores = torch.cat(scores)
        else:
            scores = text_scores(llm, text_fn(it), it.options)
        norm = scores / torch.tensor([len(o) for o in it.options], dtype=scores.dtype, device=scores.device)
        p, pn = int(scores.argmax()), int(norm.argmax())
        right += p == it.answer
        right_norm += pn == it.answer
        preds.append(p)
    n = len(items)
    return {"n": n, "acc": round(right / n, 4), "ci95": wilson(right, n), "acc_norm": round(right_norm / n, 4),
            "ci95_norm": wilson(right_norm, n), "pred_share": {str(j): preds.count(j) / n for j in sorted(set(preds))}}


# --------------------------------------------------------------------------- text-only inputs


def text_encode(llm, prompts, answers=None):
    """A right-padded text-only batch through the family's chat template (no visuals)."""
    tok = llm.tokenizer
    fmt = llm.answer_format
    rows = []
    for i, p in enumerate(prompts):
        msgs = [{"role": "user", "content": [{"type": "text", "text": p}]}]
        text = llm.processor.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        ids = tok.encode(text, add_special_tokens=False)
        lab = [-100] * len(ids)
        if answers is not None:
            a = tok.encode(fmt.prefix + answers[i], add_special_tokens=False)
            e = tok.encode(fmt.end_of_turn, add_special_tokens=False) if fmt.end_of_turn else []
            ids, lab = ids + a + e, lab + a + e
        rows.append((ids, lab))
    L = max(len(r[0]) for r in rows)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    ids = torch.tensor([r[0] + [pad] * (L - len(r[0])) for r in rows])
    lab = torch.tensor([r[1] + [-100] * (L - len(r[1])) for r in rows])
    att = torch.tensor([[1] * len(r[0]) + [0] * (L - len(r[0])) for r in rows])
    return {"input_ids": ids, "attention_mask": att, "labels": lab}


def text_scores(llm, prompt, options):
    b = text_encode(llm, [prompt] * len(options), options)
    return seq_logprobs(llm, b)


# --------------------------------------------------------------------------- training


def train(llm, items, steps, lr=3e-4, batch=8, seed=0, warmup=20, text_fn=None, eval_fn=None, eval_every=0,
          log=None, params=None, beta2=0.98, clip=1.0, schedule="constant"):
    """Full fine-tuning (all parameters, or `params`) with AdamW on the answer-token loss, lr
    warmed up linearly, then constant or cosine-decayed to 0 (`schedule`).
    Batches are drawn without replacement per pass (seeded). Returns the curve."""
    g = torch.Generator().manual_seed(seed)
    model = llm.model
    params = [p for p in (params if params is not None else model.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, beta2), weight_decay=0.0)
    order, pos = torch.randperm(len(items), generator=g).tolist(), 0
    curve, t0, run = [], time.time(), []
    for step in range(1, steps + 1):
        model.train()
        if pos + batch > len(order):
            order, pos = torch.randperm(len(items), generator=g).tolist(), 0
        its = [items[i] for i in order[pos:pos + batch]]
        pos += batch
        if text_fn is None:
            groups = llm.batch_groups([it.frames for it in its], [it.numbered for it in its])
        else:
            groups = [list(range(len(its)))]
        for gsel in groups:
            sub = [its[i] for i in gsel]
            if text_fn is None:
                b = llm.encode([it.frames for it in sub], [it.prompt for it in sub], answers=[it.answer_text for it in sub],
                               numbered=[it.numbered for it in sub])
            else:
                b = text_encode(llm, [text_fn(it) for it in sub], [it.answer_text for it in sub])
            loss = llm.model(**llm.to_device(b)).loss * len(sub) / len(its)
            loss.backward()
        scale = min(1.0, step / max(1, warmup))
        if schedule == "cosine" and step > warmup:
            scale = 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))
        for group in opt.param_groups:
            group["lr"] = lr * scale
        torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        run.append(float(loss) * len(its) / len(sub) if len(groups) == 1 else float("nan"))
        if eval_fn is not None and eval_every and (step % eval_every == 0 or step == steps):
            ev = eval_fn()
            rec = {"step": step, "loss": float(np.nanmean(run[-eval_every:])), "sec": round(time.time() - t0, 1), **ev}
            curve.append(rec)
            if log:
                log(json.dumps(rec))
    return curve


def save_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def visual_token_ids(llm) -> set:
    cfg = llm.model.config
    out = set()
    for k in ("image_token_id", "video_token_id", "image_token_index", "video_token_index"):
        v = getattr(cfg, k, None)
        if v is not None:
            out.add(int(v))
    return out


@torch.no_grad()
def visual_embeddings(llm, batch, index: int = 0) -> torch.Tensor:
    """The vectors that enter the language model at the visual placeholder positions of sequence
    `index` (after vision tower, projector/merger, pooling), captured by a hook on the LM."""
    lm = llm.model.model.language_model
    got = {}

    def hook(module, args, kwargs):
        got["x"] = kwargs.get("inputs_embeds")

    h = lm.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        llm.model(**llm.to_device({k: v for k, v in batch.items() if k != "labels"}))
    finally:
        h.remove()
    ids = batch["input_ids"][index]
    mask = torch.tensor([int(i) in visual_token_ids(llm) for i in ids.tolist()])
    return got["x"][index][mask.to(got["x"].device)].float().cpu()


POSCAP_Q = "Where is the object in each frame?"


def coarse_pos(state, side: int = 64) -> str:
    """An actor state as coarse position words: x and y in eight bins of side/8 px (0-7), or 'none'."""
    if state is None:
        return "none"
    return f"x {min(7, int(8 * state[0] / side))} y {min(7, int(8 * state[1] / side))}"


def make_poscap_items(vids, per_video: int, seed: int, num_frames=(4, 4), numbered_share: float = 0.5,
                      shuffled_share: float = 0.5) -> list[Item]:
    """Position captions (a base-curriculum kind, uses truth boxes): n frames of a video, in
    temporal order or shuffled, as a video or as numbered frames; the answer lists each shown
    frame's coarse actor position in the order shown, e.g. "x 6 y 2, x 4 y 2, x 3 y 2, x 2 y 2"."""
    rng = np.random.default_rng(seed)
    out = []
    for frames, truth in vids:
        T = len(frames)
        for _ in range(per_video):
            n = int(rng.integers(num_frames[0], num_frames[1] + 1))
            idx = sorted(int(i) for i in rng.choice(T, size=n, replace=False))
            if rng.random() < shuffled_share:
                idx = [idx[i] for i in rng.permutation(n)]
            states = [centre(truth["boxes"][i][truth["actor"]]) for i in idx]
            answer = ", ".join(coarse_pos(s, frames.shape[2]) for s in states)
            numbered = bool(rng.random() < numbered_share)
            out.append(Item("poscap", frames[idx], POSCAP_Q, [answer], 0, numbered, states,
                            {"video": truth["id"], "indices": idx}))
    return out


@torch.no_grad()
def poscap_accuracy(llm, items) -> dict:
    """Teacher-forced accuracy of the position-caption digits: share of the x/y bin tokens that are the
    argmax (and within one bin), over held-out items; chance is ~1/8 per digit."""
    llm.model.eval()
    tok = llm.tokenizer
    digit_ids = {tok.convert_tokens_to_ids(str(d)) for d in range(8)} | {tok.convert_tokens_to_ids("Ġ" + str(d)) for d in range(8)}
    right = near = total = 0
    for it in items:
        b = llm.encode([it.frames], [it.prompt], answers=[it.answer_text], numbered=[it.numbered])
        out = llm.model(**llm.to_device({k: v for k, v in b.items() if k != "labels"}))
        pred = out.logits[0, :-1].argmax(-1).cpu()
        lab = b["labels"][0, 1:]
        for p, l in zip(pred.tolist(), lab.tolist()):
            if l in digit_ids:
                total += 1
                right += p == l
                pd, ld = tok.decode([p]).strip(), tok.decode([l]).strip()
                near += pd.isdigit() and abs(int(pd) - int(ld)) <= 1
    return {"n_digits": total, "acc": round(right / max(1, total), 4), "within_one_bin": round(near / max(1, total), 4)}
