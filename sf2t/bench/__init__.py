"""FineVidBench: the item schema, loading and saving bench files, and their statistics.

In the pipeline this is the benchmark's loader, read by evaluation, the experiment and the
notebooks; it imports only `sf2t.common` (never the builder `sf2t.bench.build`, the exports
`sf2t.bench.export`, decoding, evaluation, models or training). `sf2t.bench.fit` checks items
against their video files (frame indices, edit boxes) for the loader's ``check``. FineVidBench-mini, built from the
synthetic world, is made by `sf2t.bench.build`; `sf2t.bench.export` writes it in the Hugging
Face and lmms-eval formats; `sf2t.bench.cli` is the ``sf2t bench`` command.
"""

from __future__ import annotations

from sf2t.bench.loader import ItemCheck, SkippedItem, load_bench, save_bench, validate
from sf2t.bench.schema import (
    BENCH_FILE,
    CATEGORIES,
    FRAGMENT_CATEGORIES,
    ID_PATTERN,
    LEVEL_OF,
    LEVELS,
    ORDERS,
    REQUIRED_FIELDS,
    SCENE_CATEGORIES,
    evaluation_problems,
    id_problem,
    item_problems,
)
from sf2t.bench.stats import _letter_quota as _letter_quota  # reached from here by the tests
from sf2t.bench.stats import bench_stats, format_rows, spread_subset

__all__ = [
    "BENCH_FILE",
    "CATEGORIES",
    "FRAGMENT_CATEGORIES",
    "ID_PATTERN",
    "ItemCheck",
    "LEVELS",
    "LEVEL_OF",
    "ORDERS",
    "REQUIRED_FIELDS",
    "SCENE_CATEGORIES",
    "SkippedItem",
    "bench_stats",
    "evaluation_problems",
    "format_rows",
    "id_problem",
    "item_problems",
    "load_bench",
    "save_bench",
    "spread_subset",
    "validate",
]
