"""FineVidBench-mini builder: benchmark items written from the synthetic world's held-out
``bench`` split, because the paper's videos and questions are not released; the categories
are our reconstruction of the paper's (see ``docs/method.md`` §3).

Every question is generated from ground truth and its answer is determined by the frames
shown; the choices that make that so are documented where they are made. In the pipeline the
builder sits above the loader: it may import `sf2t.world`, `sf2t.video`, `sf2t.common`, the
loader `sf2t.bench` (schema, saving, statistics) and `sf2t.report` (the statistics table).
`texts` holds the answer vocabularies and `MiniConfig`, `video` a video's truth as the makers
see it, `scene` and `fragment` the question makers, and `items` the allocation, option
placement and `build_mini`.
"""

from __future__ import annotations

from sf2t.bench.build.items import BuildResult, build_items, build_mini, place_options, scene_question_drafts
from sf2t.bench.build.texts import (
    ACTION_TEXT,
    CHANGE_OPPOSITE,
    CHANGE_TEXT,
    CONFUSABLE,
    GONE_TEXT,
    ORDER_NO,
    ORDER_YES,
    REGION_TEXT,
    REVERSED_ACTION,
    ROTATION_PERIOD,
    SIZE_TEXT,
    SPEED_TEXT,
    SPEED_VERB,
    MiniConfig,
    speed_label,
)

__all__ = [
    "ACTION_TEXT",
    "CHANGE_OPPOSITE",
    "CHANGE_TEXT",
    "CONFUSABLE",
    "GONE_TEXT",
    "ORDER_NO",
    "ORDER_YES",
    "REGION_TEXT",
    "REVERSED_ACTION",
    "ROTATION_PERIOD",
    "SIZE_TEXT",
    "SPEED_TEXT",
    "SPEED_VERB",
    "BuildResult",
    "MiniConfig",
    "build_items",
    "build_mini",
    "place_options",
    "scene_question_drafts",
    "speed_label",
]
