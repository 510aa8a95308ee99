"""Stage 1, worlds: one folder of procedural videos per split, with disjoint seeds.

Splits (seed ranges are disjoint by construction, `sf2t.world.SPLITS`, and checked here):
``base`` and ``train`` (train split, two world seeds: the base models' coarse captions, SF²T's
unlabelled videos), ``labelled`` (the SFT questions), ``heldout`` (labelled split, another world
seed: the bases' competence and SF²T's held-out task samples), ``bench`` (FineVidBench-mini).

A profile with a ``fragment_world`` (`Profile.fragment_world_config`) makes SF²T's videos in that
world: ``train`` is generated from it, and two more folders are: ``fragment_base`` (train split:
the bases' position captions) and ``fragment_heldout`` (labelled split: SF²T's held-out task
samples). The bases' coarse captions, their competence and the benchmark stay in ``world``.
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
#: The folders a fragment world adds, with the folder ``train`` made from it too.
FRAGMENT_SPLITS = {
    "fragment_base": ("train", 2),
    "fragment_heldout": ("labelled", 2),
}
#: The caption kinds a base learns from the fragment world's videos when the profile has one.
FRAGMENT_CAPTION_KINDS = ("position",)


def world_splits(profile: Profile) -> dict[str, tuple[str, int, dict[str, Any]]]:
    """Every world folder of ``profile``: name -> (split, world-seed offset, world settings)."""
    fragment = profile.fragment_world_config()
    out = {name: (split, offset, profile.world) for name, (split, offset) in WORLD_SPLITS.items()}
    if fragment is not None:
        out["train"] = (*WORLD_SPLITS["train"], fragment)
        out.update({name: (split, offset, fragment) for name, (split, offset) in FRAGMENT_SPLITS.items()})
    return out


def task_heldout_world(worlds: dict[str, str]) -> str:
    """The held-out videos SF²T's own tasks are measured on: the fragment world's when there is one."""
    return worlds.get("fragment_heldout", worlds["heldout"])


def caption_worlds(worlds: dict[str, str]) -> dict[str, str]:
    """{caption kind: world folder} for kinds a base learns from another world than ``base``."""
    if "fragment_base" not in worlds:
        return {}
    return {kind: worlds["fragment_base"] for kind in FRAGMENT_CAPTION_KINDS}


def build_worlds(profile, world_root: str | Path, progress: bool = False) -> dict[str, Path]:
    """Generate the world folders of ``profile`` (`world_splits`) under ``world_root`` and check
    that they share no video seed or id. Splits the user's own data replaces
    (`Profile.replaced_splits`) are not generated."""
    from sf2t import world

    replaced = profile.replaced_splits()
    dirs = {}
    for name, (split, offset, settings) in world_splits(profile).items():
        if name in replaced:
            continue
        dirs[name] = Path(world_root) / name
        config = world.WorldConfig.from_dict(settings)
        world.generate(
            dirs[name], profile.videos[name], split, seed=profile.world_seed + offset, config=config, progress=progress
        )
    world.check_disjoint(*dirs.values())
    return dirs


def stage_worlds(profile: Profile, paths: Paths, log=print) -> dict[str, str]:
    """The profile's world folders, by name (`world_splits`), generated once."""
    inputs = {
        "world": profile.world,
        "videos": profile.videos,
        "world_seed": profile.world_seed,
        "replaced": sorted(profile.replaced_splits()),
    }
    if profile.fragment_world:  # only then: the worlds of profiles without one keep their fingerprint
        inputs["fragment_world"] = profile.fragment_world

    def build(out: Path) -> dict[str, Any]:
        return {k: str(v) for k, v in build_worlds(profile, out).items()}

    return run_stage("worlds", paths.cache / "worlds", inputs, build, log=log, code=WORLD_CODE)
