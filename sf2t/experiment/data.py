"""Stage 4, training data: the SFT records (a few labelled scene-level questions), the SF²T
samples (fragment tasks on unlabelled videos), the positive control's records (labelled
questions of all eight FineVidBench categories), and each run's mixture of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.common.prompts import in_answer_form
from sf2t.common.records import write_jsonl
from sf2t.common.stage_cache import run_stage
from sf2t.experiment.paths import Paths
from sf2t.experiment.plan import Run
from sf2t.experiment.profiles import Profile

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
    answer_form: str = "letter",
    task_options: dict[str, dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Fragment-task samples from the unlabelled videos of ``videos_dir`` for ``family`` (its
    ``temporal_merge`` decides what a frame count means), optionally without one task (the
    leave-one-task-out ablation), with the tasks' difficulty from ``task_options``
    (`sf2t.tasks.default_tasks`). Returns the records and the generator's summary line."""
    from sf2t.models.families import get_family
    from sf2t.tasks import Mixture, parse_mix

    merge = get_family(family).temporal_merge
    mixture = Mixture.from_spec(mix or None, temporal_merge=merge, options=task_options)
    if drop_task is not None:
        if drop_task not in mixture.tasks:
            raise ValueError(f"cannot leave out {drop_task!r}: the mixture has {sorted(mixture.tasks)}")
        ratios = parse_mix(mix) if mix else {k: 1.0 for k in mixture.tasks}
        keep = {k: v for k, v in ratios.items() if k != drop_task}
        mixture = Mixture({k: mixture.tasks[k] for k in keep}, keep)
    from sf2t.tasks import generate_samples

    records, summary = generate_samples(
        videos_dir, n_samples, seed, mixture, frames_per_clip=frames_per_clip, answer_form=answer_form
    )
    if not records:
        raise ValueError(f"{videos_dir}: no fragment-task sample could be made")
    return records, summary.line()


def control_records(
    truths: Sequence[dict[str, Any]],
    records_per_video: int,
    seed: int,
    frame_counts: Sequence[int] = (4, 8, 16),
    speeds: Sequence[float] = (0.5, 1.0, 2.0, 4.0),
) -> list[dict[str, Any]]:
    """The positive control's training records: FineVidBench-mini's own questions of all eight
    categories, asked by the same builder of LABELLED-split videos (never a benchmark video), so a
    model trained on them shows per category whether the benchmark can register a learned skill."""
    from sf2t.bench.build import MiniConfig, build_items
    from sf2t.world import COLORS

    cfg = MiniConfig(
        n_videos=len(truths),
        questions_per_video=records_per_video,
        seed=seed,
        frame_counts=tuple(frame_counts),
        speeds=tuple(speeds),
    )
    items = build_items(truths, cfg, video_prefix="", colour_names=sorted(COLORS), split="labelled")
    return [
        {
            "id": f"control-{it['id']}",
            "video": it["video"],
            "frames": {"indices": it["frames"]["indices"], "transform": it["frames"]["transform"]},
            "question": it["question"],
            "options": it["options"],
            "answer": it["answer"],
            "numbered": it["numbered"],
            "task": f"control_{it['category'].lower().replace(' ', '_')}",
            "meta": {"category": it["category"], "truth_seed": it["meta"].get("truth_seed")},
        }
        for it in items
    ]


# ---------------------------------------------------------------------- cached stages


def stage_sft_data(profile: Profile, paths: Paths, seed: int, worlds: dict[str, str], log=print) -> tuple[str, str]:
    """The SFT records and their videos folder: the user's labelled file (``data.sft``, the same
    for every seed), or scene-level questions drawn per seed from the labelled world."""
    from sf2t.world import load_truth

    user = profile.user_data().get("sft")
    if user:
        return user["path"], user["root"]
    b = profile.bench
    inputs = {
        "labelled": Path(worlds["labelled"]),
        "sft": profile.sft,
        "seed": seed,
        "frame_counts": b.get("frame_counts"),
        "speeds": b.get("speeds"),
        "answer_form": profile.answer_form,
    }

    def build(out: Path) -> dict[str, Any]:
        records = sft_records(
            load_truth(worlds["labelled"]),
            profile.sft["records_per_video"],
            seed,
            profile.sft.get("categories", ("Action", "Effect", "Speed")),
            b.get("frame_counts", (4, 8, 16)),
            b.get("speeds", (0.5, 1, 2, 4)),
        )
        write_jsonl(out / "sft.jsonl", [in_answer_form(r, profile.answer_form) for r in records])
        return {"path": str(out / "sft.jsonl"), "n": len(records)}

    done = run_stage(f"sft data seed{seed}", paths.cache / "data" / "sft" / f"seed{seed}", inputs, build, log=log)
    return done["path"], worlds["labelled"]


def stage_control_data(profile: Profile, paths: Paths, seed: int, worlds: dict[str, str], log=print) -> str:
    """The positive control's records for ``seed``, from the labelled world."""
    from sf2t.world import load_truth

    b = profile.bench
    inputs = {
        "labelled": Path(worlds["labelled"]),
        "control": profile.control,
        "seed": seed,
        "frame_counts": b.get("frame_counts"),
        "speeds": b.get("speeds"),
        "answer_form": profile.answer_form,
    }

    def build(out: Path) -> dict[str, Any]:
        records = control_records(
            load_truth(worlds["labelled"]),
            profile.control.get("records_per_video", 25),
            seed,
            b.get("frame_counts", (4, 8, 16)),
            b.get("speeds", (0.5, 1, 2, 4)),
        )
        write_jsonl(out / "control.jsonl", [in_answer_form(r, profile.answer_form) for r in records])
        return {"path": str(out / "control.jsonl"), "n": len(records)}

    out = paths.cache / "data" / "control" / f"seed{seed}"
    return run_stage(f"control data seed{seed}", out, inputs, build, log=log)["path"]


def sf2t_videos(profile: Profile, worlds: dict[str, str]) -> str:
    """SF²T's unlabelled videos: the user's folder (``data.train_videos``) or the train world."""
    return profile.user_data().get("train_videos") or worlds["train"]


def stage_sf2t_data(profile: Profile, paths: Paths, run: Run, worlds: dict[str, str], log=print) -> str:
    """The SF²T samples of ``run`` (its family's frame merging, its seed, its left-out task)."""
    s = profile.sf2t
    name = f"seed{run.seed}" + (f"-no_{run.drop_task}" if run.drop_task else "")
    videos = sf2t_videos(profile, worlds)
    inputs = {
        "train": Path(videos),
        "sf2t": s,
        "family": run.family,
        "seed": run.seed,
        "drop": run.drop_task,
        "answer_form": profile.answer_form,
    }

    def build(out: Path) -> dict[str, Any]:
        records, line = sf2t_samples(
            videos,
            run.family,
            s["n_samples"],
            run.seed,
            s.get("mix", ""),
            s.get("frames_per_clip", 16),
            run.drop_task,
            profile.answer_form,
            s.get("tasks"),
        )
        write_jsonl(out / "sf2t.jsonl", records)
        return {"path": str(out / "sf2t.jsonl"), "n": len(records), "summary": line}

    out = paths.cache / "data" / "sf2t" / run.family / name
    return run_stage(f"sf2t data {run.family} {name}", out, inputs, build, log=log)["path"]


def training_sources(profile: Profile, paths: Paths, run: Run, worlds: dict[str, str], log=print) -> list[dict]:
    """The data mixture of ``run``'s arm: SFT records, SF²T samples, or both with the profile's ratio;
    the positive control's records for the ``control`` arm."""
    if run.setting == "control":
        path = stage_control_data(profile, paths, run.seed, worlds, log)
        return [{"path": path, "root": worlds["labelled"], "ratio": 1.0, "name": "control"}]
    sources = []
    if run.setting in ("sft", "sft_sf2t"):
        ratio = profile.sft_sf2t_ratio[0] if run.setting == "sft_sf2t" else 1.0
        path, root = stage_sft_data(profile, paths, run.seed, worlds, log)
        sources.append({"path": path, "root": root, "ratio": ratio, "name": "sft"})
    if run.setting in ("sf2t", "sft_sf2t"):
        ratio = profile.sft_sf2t_ratio[1] if run.setting == "sft_sf2t" else 1.0
        sources.append(
            {
                "path": stage_sf2t_data(profile, paths, run, worlds, log),
                "root": sf2t_videos(profile, worlds),
                "ratio": ratio,
                "name": "sf2t",
            }
        )
    return sources
