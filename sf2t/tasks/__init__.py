"""The five SF²T self-supervised fragment tasks, their mixture, and the ``sf2t tasks`` writer.

Pipeline stage ``tasks``: it turns any decoded video into fragment-task conversations built
from the video's own properties (counting, consistency verification, localization, disorder
detection, rearrangement; Hu et al., CVPR 2025, to our specification in docs/method.md §2),
mixes them by ratio and writes them as JSONL records. It may import only `sf2t.common` and
`sf2t.video`: never the synthetic world's ground truth (`sf2t.world`), the benchmark, models
or evaluation (an import-linter contract checks this). `base` holds the shared task shape
and helpers, one module per task, `mixture` the ratios, `writer` the decoding and sample
drawing, `cli` the ``sf2t tasks`` command.
"""

from sf2t.tasks.base import (
    Sample,
    Task,
    TaskSkip,
    countable_frame_counts,
    ordered_positions,
    place_answer,
    received_frames,
)
from sf2t.tasks.consistency import CONSISTENCY_OPTIONS, Consistency, consistency_label
from sf2t.tasks.counting import Counting
from sf2t.tasks.disorder import DISORDER_PERTURBATIONS, Disorder, perturb_order
from sf2t.tasks.localization import LOCALIZATION_QUERIES, Localization
from sf2t.tasks.mixture import TASK_CLASSES, Mixture, default_tasks, parse_mix
from sf2t.tasks.rearrangement import (
    Rearrangement,
    exact_match,
    format_order,
    kendall_tau,
    parse_order,
    rearrangement_credit,
    rearrangement_options,
)
from sf2t.tasks.writer import VIDEO_EXTENSIONS, Summary, decode_clip, generate_samples, list_videos

__all__ = [
    "CONSISTENCY_OPTIONS",
    "DISORDER_PERTURBATIONS",
    "LOCALIZATION_QUERIES",
    "TASK_CLASSES",
    "VIDEO_EXTENSIONS",
    "Consistency",
    "Counting",
    "Disorder",
    "Localization",
    "Mixture",
    "Rearrangement",
    "Sample",
    "Summary",
    "Task",
    "TaskSkip",
    "consistency_label",
    "countable_frame_counts",
    "decode_clip",
    "default_tasks",
    "exact_match",
    "format_order",
    "generate_samples",
    "kendall_tau",
    "list_videos",
    "ordered_positions",
    "parse_mix",
    "parse_order",
    "perturb_order",
    "place_answer",
    "rearrangement_credit",
    "rearrangement_options",
    "received_frames",
]
