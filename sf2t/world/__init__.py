"""The procedural video world: real H.264 clips of simple scenes, with exact ground truth.

A stand-in for Something-Something that runs on two CPU cores, and the pipeline's source of
videos after `sf2t.common` and `sf2t.video`, the only sf2t subpackages it may import. Each clip
shows one to three flat shapes on a background (plain, stripes, checker or per-pixel noise);
one of them, the *actor*, undergoes one action from `ACTIONS` at a named speed, and the truth
records the action, its end state (the *effect*) and the box of every object in every frame.
Everything derives from one integer seed per video, so the same seed and `WorldConfig` give
byte-identical JSON and identical decoded frames. Modules: `config` (vocabularies, speeds,
`WorldConfig`), `seeds` (splits and video seeds), `geometry` (masks and boxes), `scenes`
(planning), `render` (frames and truth), `files` (writing a world folder), `truth` (reading and
checking one), `cli` (``sf2t synth``), `captions` (coarse caption questions).
"""

from sf2t.world.config import (
    ACTION_TEXT,
    ACTIONS,
    BACKGROUNDS,
    COLORS,
    MOVING_ACTIONS,
    ROTATION_DEGREES,
    SHAPES,
    SPEED_ACTIONS,
    SPEEDS,
    WorldConfig,
)
from sf2t.world.files import generate, make_video, write_mp4
from sf2t.world.geometry import region_of, shape_mask
from sf2t.world.render import render_video
from sf2t.world.seeds import RUNS_PER_SPLIT, SEED_BLOCK, SPLITS, split_of, video_id, video_seed
from sf2t.world.truth import TRUTH_FIELDS, OverlapError, check_disjoint, load_truth

__all__ = [
    "ACTIONS",
    "ACTION_TEXT",
    "BACKGROUNDS",
    "COLORS",
    "MOVING_ACTIONS",
    "ROTATION_DEGREES",
    "RUNS_PER_SPLIT",
    "SEED_BLOCK",
    "SHAPES",
    "SPEEDS",
    "SPEED_ACTIONS",
    "SPLITS",
    "TRUTH_FIELDS",
    "OverlapError",
    "WorldConfig",
    "check_disjoint",
    "generate",
    "load_truth",
    "make_video",
    "region_of",
    "render_video",
    "shape_mask",
    "split_of",
    "video_id",
    "video_seed",
    "write_mp4",
]
