"""Stage 2, the benchmark: the user's FineVidBench file, or FineVidBench-mini built from the
bench world, and the items every run answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sf2t.common.stage_cache import run_stage
from sf2t.experiment.paths import Paths
from sf2t.experiment.profiles import Profile
from sf2t.experiment.worlds import WORLD_CODE


def stage_bench(profile: Profile, paths: Paths, worlds: dict[str, str], log=print) -> dict[str, Any]:
    """The benchmark every run answers: the user's FineVidBench file (``data.bench``; nothing to
    build, `run_experiment` validates it as it loads it), or FineVidBench-mini built from the bench
    world. Returns its ``path`` and videos ``root``."""
    from sf2t.bench.build import build_mini

    user = profile.user_data().get("bench")
    if user:
        return {"path": user["path"], "root": user["root"]}
    bench_world = worlds["bench"]
    b = profile.bench
    options = {
        "frame_counts": tuple(b.get("frame_counts", (4, 8, 16))),
        "speeds": tuple(b.get("speeds", (0.5, 1, 2, 4))),
    }
    if b.get("fragment_wording", "bench") != "bench":  # only when set: a default bench keeps its inputs
        options["fragment_wording"] = b["fragment_wording"]
    inputs = {
        "world": Path(bench_world),
        "n_videos": profile.videos["bench"],
        "qpv": b["questions_per_video"],
        "seed": b.get("seed", 0),
        "options": options,
    }

    def build(out: Path) -> dict[str, Any]:
        built = build_mini(
            bench_world,
            out,
            n_videos=profile.videos["bench"],
            questions_per_video=b["questions_per_video"],
            seed=b.get("seed", 0),
            **options,
        )
        return {"path": str(built.path), "root": str(Path(built.path).parent), "n_items": len(built.items)}

    return run_stage("bench", paths.cache / "bench", inputs, build, log=log, code=("bench", *WORLD_CODE))


def eval_items(profile: Profile, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items every run answers: the whole bench, or ``eval_per_category`` of each category
    spread through it (the same items for every run, so runs pair item by item)."""
    from sf2t.bench import spread_subset

    k = profile.bench["eval_per_category"]
    return spread_subset(items, k) if k else list(items)
