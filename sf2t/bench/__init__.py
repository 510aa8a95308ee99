"""FineVidBench: the item schema, loading and saving bench files, and their statistics.

In the pipeline this is the benchmark's loader, read by evaluation, the experiment and the
notebooks; it imports only `sf2t.common` (never the builder `sf2t.bench.build`, the exports
`sf2t.bench.export`, evaluation, models or training). FineVidBench-mini, built from the
synthetic world, is made by `sf2t.bench.build`; `sf2t.bench.export` writes it in the Hugging
Face and lmms-eval formats; `sf2t.bench.cli` is the ``sf2t bench`` command.
"""

from __future__ import annotations

from sf2t.bench.loader import SkippedItem, load_bench, save_bench, validate
from sf2t.bench.schema import (
    BENCH_FILE,
    CATEGORIES,
    FRAGMENT_CATEGORIES,
    LEVEL_OF,
    LEVELS,
    ORDERS,
    REQUIRED_FIELDS,
    SCENE_CATEGORIES,
    item_problems,
)
from sf2t.bench.stats import _letter_quota as _letter_quota  # reached from here by the tests
from sf2t.bench.stats import bench_stats, format_rows, spread_subset

__all__ = [
    "BENCH_FILE",
    "CATEGORIES",
    "FRAGMENT_CATEGORIES",
    "LEVELS",
    "LEVEL_OF",
    "ORDERS",
    "REQUIRED_FIELDS",
    "SCENE_CATEGORIES",
    "SkippedItem",
    "bench_stats",
    "format_rows",
    "item_problems",
    "load_bench",
    "save_bench",
    "spread_subset",
    "validate",
]
