"""FineVidBench in the formats users already run: a Hugging Face ``datasets`` folder
(parquet + dataset card, `sf2t.bench.export.hf`) and an lmms-eval task folder (YAML +
``utils.py`` + one clip per item, `sf2t.bench.export.lmms_eval`) for ``lmms-eval --include_path``.

Both share one flat row per item (`item_to_row`, inverted by `row_to_item`). The exports sit
beside the builder, above the loader: they may import the loader `sf2t.bench`, `sf2t.video`
and `sf2t.common`, never the builder, evaluation, models or training.
"""

from __future__ import annotations

from sf2t.bench.export.hf import (
    HF_DATA_FILE,
    ROW_COLUMNS,
    export_hf,
    item_to_row,
    load_hf_export,
    read_parquet,
    row_to_item,
    write_parquet,
)
from sf2t.bench.export.lmms_eval import (
    TASK_NAME,
    export_lmms_eval,
    metric_name,
    render_item_clips,
    task_yaml,
    utils_source,
    write_mp4,
)

__all__ = [
    "HF_DATA_FILE",
    "ROW_COLUMNS",
    "TASK_NAME",
    "export_hf",
    "export_lmms_eval",
    "item_to_row",
    "load_hf_export",
    "metric_name",
    "read_parquet",
    "render_item_clips",
    "row_to_item",
    "task_yaml",
    "utils_source",
    "write_mp4",
    "write_parquet",
]
