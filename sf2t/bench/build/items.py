"""From drafts to items: each video's drafts shared out over the categories, options placed so
answer letters are balanced, and FineVidBench-mini written to a self-contained folder."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.bench.build.fragment import (
    _adjust_or_not,
    _frame_comparison,
    _frame_count,
    _meaning_of_order,
    _rearrangement,
)
from sf2t.bench.build.scene import _action, _effect, _final_colour, _speed
from sf2t.bench.build.texts import MiniConfig
from sf2t.bench.build.video import _Draft, _Video
from sf2t.bench.loader import save_bench
from sf2t.bench.schema import BENCH_FILE, CATEGORIES, LEVEL_OF, SCENE_CATEGORIES
from sf2t.bench.stats import bench_stats
from sf2t.common.prompts import option_letters
from sf2t.report import write_table

_MAKERS = {
    "Action": _action,
    "Speed": _speed,
    "Frame Count": _frame_count,
    "Meaning of Order": _meaning_of_order,
    "Frame Comparison": _frame_comparison,
    "Adjust or Not": _adjust_or_not,
    "Rearrangement": _rearrangement,
}


def _drafts_for(v: _Video, cfg: MiniConfig, rng, colour_names: Sequence[str]) -> dict[str, list[_Draft]]:
    out = {}
    for category in CATEGORIES:
        if category == "Effect":
            out[category] = _effect(v, cfg, rng, colour_names)
        else:
            out[category] = _MAKERS[category](v, cfg, rng)
    return out


def _allocate(drafts: dict[str, list[_Draft]], quota: int, start: int) -> list[_Draft]:
    """Round-robin over categories (starting at ``start`` so leftovers rotate between videos)
    until ``quota`` questions or every category is used up."""
    queues = {c: list(drafts[c]) for c in CATEGORIES}
    order = CATEGORIES[start % len(CATEGORIES) :] + CATEGORIES[: start % len(CATEGORIES)]
    chosen: list[_Draft] = []
    while len(chosen) < quota and any(queues.values()):
        for c in order:
            if queues[c] and len(chosen) < quota:
                chosen.append(queues[c].pop(0))
    return chosen


def build_items(
    truths: Sequence[dict[str, Any]],
    config: MiniConfig | None = None,
    video_prefix: str = "videos/",
    colour_names: Sequence[str] | None = None,
    split: str = "bench",
) -> list[dict[str, Any]]:
    """FineVidBench-mini items from ground-truth records of one ``split``: the benchmark is built
    from the held-out ``bench`` split only; the experiment's positive control asks the same
    questions of ``labelled``-split videos as training data.

    Deterministic given ``config.seed``. Answer letters are balanced per category: the
    answer of the k-th question with m options goes to letter k mod m.
    """
    cfg = config or MiniConfig()
    cfg.validate()
    wrong_split = [t.get("id") for t in truths if t.get("split") != split]
    if wrong_split:
        raise ValueError(
            f"these items are built from the {split!r} split only; got other splits for "
            f"{wrong_split[:5]}{' ...' if len(wrong_split) > 5 else ''}"
        )
    truths = sorted(truths, key=lambda t: t["id"])
    if len(truths) < cfg.n_videos:
        raise ValueError(f"asked for {cfg.n_videos} videos but only {len(truths)} {split} videos were given")
    truths = truths[: cfg.n_videos]
    if colour_names is None:
        colour_names = sorted(
            {o["color"] for t in truths for o in t["objects"]} | {c for t in truths if (c := _final_colour(_Video(t)))}
        )
    letter_turn: Counter = Counter()
    items = []
    for vi, truth in enumerate(truths):
        rng = np.random.default_rng([cfg.seed, vi])
        v = _Video(truth)
        chosen = _allocate(_drafts_for(v, cfg, rng, colour_names), cfg.questions_per_video, vi)
        for qi, d in enumerate(chosen):
            options, answer = _place(d, letter_turn, rng)
            items.append(
                {
                    "id": f"{v.id}-q{qi:02d}",
                    "video": f"{video_prefix}{truth['video']}",
                    "level": LEVEL_OF[d.category],
                    "category": d.category,
                    "question": d.question,
                    "options": options,
                    "answer": answer,
                    "numbered": d.numbered,
                    "frames": {
                        "indices": [int(i) for i in d.indices],
                        "transform": None,
                        "speed": d.speed,
                        "order": d.order,
                    },
                    "source": f"synthetic:{v.id}",
                    "meta": {**d.meta, "truth_seed": truth.get("seed")},
                }
            )
    return items


def scene_question_drafts(
    truth: dict[str, Any], config: MiniConfig, rng, categories: Sequence[str], colour_names: Sequence[str]
) -> dict[str, list[_Draft]]:
    """Scene-level question drafts (Action, Effect, Speed) for one ground-truth record of any split.

    The benchmark builds only from bench-split truths (`build_items`); the experiment's small
    labelled SFT set asks the same questions of labelled-split videos, so both share these makers.
    Drafts are made in the order of ``categories``, drawing from ``rng``.
    """
    unknown = [c for c in categories if c not in SCENE_CATEGORIES]
    if unknown:
        raise ValueError(f"scene-level categories are {SCENE_CATEGORIES}, got {unknown}")
    v = _Video(truth)
    makers = {
        "Action": lambda: _action(v, config, rng),
        "Effect": lambda: _effect(v, config, rng, colour_names),
        "Speed": lambda: _speed(v, config, rng),
    }
    return {c: makers[c]() for c in categories}


def place_options(d: _Draft, turn: Counter, rng) -> tuple[list[str], str]:
    """Shuffle a draft's options, putting the answer at the next letter of a per-category
    rotation (``turn``), so answers are balanced over letters."""
    return _place(d, turn, rng)


def _place(d: _Draft, turn: Counter, rng) -> tuple[list[str], str]:
    opts = [d.answer] + [w for w in d.distractors if w != d.answer]
    if len(set(opts)) != len(opts) or len(opts) < 2:
        raise AssertionError(f"builder produced bad options for {d.category}: {opts}")
    m = len(opts)
    pos = turn[(d.category, m)] % m
    turn[(d.category, m)] += 1
    wrong = [opts[1:][i] for i in rng.permutation(m - 1)]
    options = wrong[:pos] + [d.answer] + wrong[pos:]
    return options, option_letters(m)[pos]


@dataclass
class BuildResult:
    path: Path
    items: list[dict[str, Any]]
    stats: list[dict[str, Any]]


def build_mini(
    world_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    n_videos: int | None = 120,
    questions_per_video: int = 25,
    seed: int = 0,
    **options: Any,
) -> BuildResult:
    """Build FineVidBench-mini from a synthetic world folder's bench split into ``out_dir``:
    ``finevidbench_mini.jsonl``, ``videos/`` (copies, so the folder is self-contained and no
    symlink leaves the data root), ``stats.csv`` and ``build.json`` (the parameters).
    ``n_videos=None`` uses every video of the world."""
    from sf2t.world import COLORS, load_truth

    truths = load_truth(world_dir)
    n_videos = len(truths) if n_videos is None else n_videos
    cfg = MiniConfig(n_videos=n_videos, questions_per_video=questions_per_video, seed=seed, **options)
    items = build_items(truths, cfg, colour_names=sorted(COLORS))
    out = Path(out_dir)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    world = Path(world_dir)
    for name in sorted({Path(it["video"]).name for it in items}):
        src, dst = world / name, out / "videos" / name
        if not src.is_file():
            raise FileNotFoundError(f"{src}: video named by the ground truth is missing")
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, dst)
    path = out / BENCH_FILE
    save_bench(items, path)
    stats = bench_stats(items)
    write_table(stats, out / "stats", caption="FineVidBench-mini statistics", source=f"sf2t bench build {world}")
    (out / "build.json").write_text(
        json.dumps(
            {
                "world_dir": str(world),
                "config": _config_dict(cfg),
                "videos": len({it["video"] for it in items}),
                "questions": len(items),
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    return BuildResult(path, items, stats)


def _config_dict(cfg: MiniConfig) -> dict[str, Any]:
    from dataclasses import asdict

    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}
