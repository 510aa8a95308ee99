"""The experiment's data: one world folder per split, the SFT records (a few labelled
scene-level questions), the SF²T samples (fragment tasks on unlabelled videos), and the check
that no benchmark video reaches any training data.

Splits (seed ranges are disjoint by construction, `sf2t.world.SPLITS`, and checked here):
``train`` (unlabelled: the base stage's coarse captions and SF²T), ``labelled`` (run seed
``world_seed``: the SFT questions), ``heldout`` (labelled split, run seed ``world_seed + 1``:
the base's competence), ``bench`` (FineVidBench-mini).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.common.records import read_jsonl, resolve_under

#: world folder -> (split, world-seed offset). "base" (the base models' caption pretraining) and
#: "train" (SF²T's unlabelled videos) are both train-split but drawn with different world seeds.
WORLD_SPLITS = {
    "base": ("train", 1),
    "train": ("train", 0),
    "labelled": ("labelled", 0),
    "heldout": ("labelled", 1),
    "bench": ("bench", 0),
}


class LeakageError(AssertionError):
    """A benchmark video (by id, seed or file) appears in training data."""


def build_worlds(profile, world_root: str | Path, progress: bool = False) -> dict[str, Path]:
    """Generate the world folders of ``profile`` (`WORLD_SPLITS`) under ``world_root`` and check
    that they share no video seed or id. Splits the user's own data replaces
    (`Profile.replaced_splits`) are not generated."""
    from sf2t import world

    config = world.WorldConfig.from_dict(profile.world)
    replaced = profile.replaced_splits()
    dirs = {}
    for name, (split, offset) in WORLD_SPLITS.items():
        if name in replaced:
            continue
        dirs[name] = Path(world_root) / name
        world.generate(
            dirs[name], profile.videos[name], split, seed=profile.world_seed + offset, config=config, progress=progress
        )
    world.check_disjoint(*dirs.values())
    return dirs


# ---------------------------------------------------------------------- SFT records


def sft_records(
    truths: Sequence[dict[str, Any]],
    records_per_video: int,
    seed: int,
    categories: Sequence[str] = ("Action", "Effect", "Speed"),
    frame_counts: Sequence[int] = (4, 8, 16),
    speeds: Sequence[float] = (0.5, 1.0, 2.0, 4.0),
) -> list[dict[str, Any]]:
    """Scene-level questions with answers on LABELLED-split videos: SFT's small labelled set.

    The questions are FineVidBench-mini's own scene-level question makers (`sf2t.bench.build`),
    applied to labelled-split truths (the bench builder itself refuses any split but
    ``bench``, rightly). Each video gives ``records_per_video`` questions drawn round-robin over
    ``categories``; answer letters rotate so no letter is favoured. Video paths are relative to
    the labelled world folder.
    """
    from sf2t import bench
    from sf2t.bench import build as bench_builder
    from sf2t.common.prompts import option_letters
    from sf2t.world import COLORS

    wrong = sorted({t["id"] for t in truths if t.get("split") != "labelled"})
    if wrong:
        raise ValueError(f"SFT records come from labelled-split videos only; got other splits for {wrong[:5]}")
    unknown = [c for c in categories if c not in bench.SCENE_CATEGORIES]
    if unknown:
        raise ValueError(f"SFT categories must be scene-level {bench.SCENE_CATEGORIES}, got {unknown}")
    cfg = bench_builder.MiniConfig(
        n_videos=max(1, len(truths)), seed=seed, frame_counts=tuple(frame_counts), speeds=tuple(speeds)
    )
    turn: Counter = Counter()
    records = []
    for vi, truth in enumerate(sorted(truths, key=lambda t: t["id"])):
        rng = np.random.default_rng([seed, 17, vi])
        queues = bench_builder.scene_question_drafts(truth, cfg, rng, categories, sorted(COLORS))
        for c in queues:  # the drafts of a category in a seeded order (the makers keep their own order)
            queues[c] = [queues[c][i] for i in rng.permutation(len(queues[c]))]
        chosen = []
        order = list(categories[vi % len(categories) :]) + list(categories[: vi % len(categories)])
        while len(chosen) < records_per_video and any(queues.values()):
            for c in order:
                if queues[c] and len(chosen) < records_per_video:
                    chosen.append(queues[c].pop(0))
        for qi, draft in enumerate(chosen):
            options, answer = bench_builder.place_options(draft, turn, rng)
            records.append(
                {
                    "id": f"sft-{truth['id']}-{qi:02d}",
                    "video": truth["video"],
                    "frames": {"indices": [int(i) for i in draft.indices], "transform": None},
                    "question": draft.question,
                    "options": options,
                    "answer": answer,
                    "numbered": bool(draft.numbered),
                    "task": f"sft_{draft.category.lower()}",
                    "meta": {
                        "category": draft.category,
                        "truth_seed": truth["seed"],
                        "answer_text": options[option_letters(len(options)).index(answer)],
                    },
                }
            )
    return records


# ---------------------------------------------------------------------- SF²T samples


def sf2t_samples(
    videos_dir: str | Path,
    family: str,
    n_samples: int,
    seed: int,
    mix: str = "",
    frames_per_clip: int = 16,
    drop_task: str | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Fragment-task samples from the unlabelled videos of ``videos_dir`` for ``family`` (its
    ``temporal_merge`` decides what a frame count means), optionally without one task (the
    leave-one-task-out ablation). Returns the records and the generator's summary line."""
    from sf2t.models.families import get_family
    from sf2t.tasks import Mixture, parse_mix

    merge = get_family(family).temporal_merge
    mixture = Mixture.from_spec(mix or None, temporal_merge=merge)
    if drop_task is not None:
        if drop_task not in mixture.tasks:
            raise ValueError(f"cannot leave out {drop_task!r}: the mixture has {sorted(mixture.tasks)}")
        ratios = parse_mix(mix) if mix else {k: 1.0 for k in mixture.tasks}
        keep = {k: v for k, v in ratios.items() if k != drop_task}
        mixture = Mixture({k: mixture.tasks[k] for k in keep}, keep)
    from sf2t.tasks import generate_samples

    records, summary = generate_samples(videos_dir, n_samples, seed, mixture, frames_per_clip=frames_per_clip)
    if not records:
        raise ValueError(f"{videos_dir}: no fragment-task sample could be made")
    return records, summary.line()


# ---------------------------------------------------------------------- leakage


def check_no_leakage(training_data: Sequence[tuple[str | Path, str | Path]], bench_world: str | Path) -> dict:
    """Assert that no record of any training file names a benchmark video.

    ``training_data`` lists ``(jsonl path, video root)``. Each record's video is looked up in
    its root's ``index.jsonl`` to find its truth (id and seed), which must be in neither the
    bench ids nor the bench seeds; a record whose video has no truth in its root, or whose root is
    the bench world, is refused too. Returns counts for the results file.
    """
    from sf2t.world import SPLITS, load_truth

    bench_truths = load_truth(bench_world, check_files=False)
    bench_ids = {t["id"] for t in bench_truths}
    bench_seeds = {t["seed"] for t in bench_truths}
    bench_files = {Path(t["video"]).name for t in bench_truths}
    bench_root = Path(bench_world).resolve()
    problems: list[str] = []
    checked: dict[str, int] = {}
    truth_cache: dict[Path, dict[str, dict[str, Any]]] = {}
    for path, root in training_data:
        root = Path(root).resolve()
        if root == bench_root:
            problems.append(f"{path}: its video root is the benchmark world {root}")
            continue
        if root not in truth_cache:
            truth_cache[root] = {t["video"]: t for t in load_truth(root, check_files=False)}
        by_video = truth_cache[root]
        records = read_jsonl(path, required=("id", "video"))
        for rec in records:
            truth = by_video.get(rec["video"])
            if truth is None:
                problems.append(f"{path}: record {rec['id']} names {rec['video']!r}, which has no truth in {root}")
            elif truth["id"] in bench_ids or truth["seed"] in bench_seeds or Path(rec["video"]).name in bench_files:
                problems.append(f"{path}: record {rec['id']} trains on benchmark video {truth['id']}")
            elif SPLITS["bench"][0] <= truth["seed"] < SPLITS["bench"][1]:
                problems.append(f"{path}: record {rec['id']} trains on a bench-split seed {truth['seed']}")
        checked[str(path)] = len(records)
    if problems:
        raise LeakageError(f"{len(problems)} benchmark leak(s) into training data:\n  " + "\n  ".join(problems[:20]))
    return {"records_checked": checked, "bench_videos": len(bench_ids), "leaks": 0}


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_no_shared_videos(
    training_data: Sequence[tuple[str | Path, str | Path]], bench_videos: Iterable[str | Path]
) -> dict[str, Any]:
    """Assert that no training record's video file has the same bytes as a benchmark video.

    The check for any data, the user's own included (no ground truth needed): every distinct
    video named by the records of ``training_data`` (``(jsonl path, video root)``) is hashed once
    and compared with the hashes of ``bench_videos``. A copy under another name is caught; a
    re-encoded copy is not (`check_no_leakage` catches those in the synthetic world by seed).
    """
    bench_hashes: dict[str, str] = {}
    for video in bench_videos:
        bench_hashes.setdefault(_file_sha256(Path(video)), str(video))
    hashed: dict[Path, str] = {}
    problems: list[str] = []
    checked: dict[str, int] = {}
    for path, root in training_data:
        records = read_jsonl(path, required=("id", "video"))
        for rec in records:
            video = resolve_under(root, rec["video"])
            if video not in hashed:
                hashed[video] = _file_sha256(video)
            twin = bench_hashes.get(hashed[video])
            if twin is not None:
                problems.append(
                    f"{path}: record {rec['id']} trains on {video}, the same file as benchmark video {twin}"
                )
        checked[str(path)] = len(records)
    if problems:
        raise LeakageError(f"{len(problems)} benchmark leak(s) into training data:\n  " + "\n  ".join(problems[:20]))
    return {"records_checked": checked, "training_videos": len(hashed), "bench_videos": len(bench_hashes), "leaks": 0}
