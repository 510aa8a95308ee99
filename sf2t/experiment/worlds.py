"""Stage 1, worlds: one folder of procedural videos per split, with disjoint seeds.

Splits (seed ranges are disjoint by construction, `sf2t.world.SPLITS`, and checked here):
``base`` and ``train`` (train split, two world seeds: the base models' coarse captions, SF²T's
unlabelled videos), ``labelled`` (the SFT questions), ``heldout`` (labelled split, another world
seed: the bases' competence and SF²T's held-out task samples), ``bench`` (FineVidBench-mini).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sf2t.common.stage_cache import run_stage
from sf2t.experiment.paths import Paths
from sf2t.experiment.profiles import Profile

#: The subpackages a world is made by: the stage reruns when their code changes, not when any code does.
WORLD_CODE = ("world", "video", "common")

#: world folder -> (split, world-seed offset).
WORLD_SPLITS = {
    "base": ("train", 1),
    "train": ("train", 0),
    "labelled": ("labelled", 0),
    "heldout": ("labelled", 1),
    "bench": ("bench", 0),
}


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


def stage_worlds(profile: Profile, paths: Paths, log=print) -> dict[str, str]:
    """The profile's world folders, by name (`WORLD_SPLITS`), generated once."""
    inputs = {
        "world": profile.world,
        "videos": profile.videos,
        "world_seed": profile.world_seed,
        "replaced": sorted(profile.replaced_splits()),
    }

    def build(out: Path) -> dict[str, Any]:
        return {k: str(v) for k, v in build_worlds(profile, out).items()}

    return run_stage("worlds", paths.cache / "worlds", inputs, build, log=log, code=WORLD_CODE)
