"""The Hugging Face ``datasets`` export: one flat row per item (`item_to_row`, inverted by
`row_to_item`), parquet files of those rows, and the dataset folder with its card.

Nested fields that parquet would otherwise turn into structs with union-typed children
(``meta``, the pixel transform) are stored as JSON strings, so every row has the same schema.
Parquet needs ``pyarrow``, imported only when a parquet file is written or read.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sf2t.bench.schema import id_problem, item_problems
from sf2t.common.prompts import render_question
from sf2t.common.records import dumps, resolve_under

HF_DATA_FILE = "data/test-00000-of-00001.parquet"
#: Flat columns of an exported row, in order.
ROW_COLUMNS = (
    "id",
    "video",
    "clip",
    "level",
    "category",
    "question",
    "options",
    "answer",
    "prompt",
    "numbered",
    "frame_indices",
    "frame_transform",
    "speed",
    "order",
    "source",
    "meta",
)


def _require_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise RuntimeError(
            "writing or reading parquet needs the 'pyarrow' package, which is not installed; "
            "install it (pip install pyarrow) or export the lmms-eval task with data_format='jsonl'"
        ) from exc
    return pyarrow, pyarrow.parquet


def check_ids(items: Sequence[dict[str, Any]]) -> None:
    """Refuse items whose id could not name a file inside an export folder (`id_problem`)."""
    bad = [p for it in items if (p := id_problem(it.get("id")))]
    if bad:
        raise ValueError(f"{len(bad)} item id(s) cannot name an export file: " + "; ".join(bad[:5]))


def item_to_row(item: dict[str, Any], clip: str | None = None) -> dict[str, Any]:
    frames = item["frames"]
    transform = frames.get("transform")
    speed = frames.get("speed")
    return {
        "id": item["id"],
        "video": item["video"],
        "clip": clip,
        "level": item["level"],
        "category": item["category"],
        "question": item["question"],
        "options": list(item["options"]),
        "answer": item["answer"],
        "prompt": render_question(item["question"], item["options"]),
        "numbered": bool(item.get("numbered", False)),
        "frame_indices": [int(i) for i in frames["indices"]],
        "frame_transform": None if transform is None else dumps(transform),
        "speed": None if speed is None else float(speed),
        "order": frames.get("order"),
        "source": item["source"],
        "meta": dumps(item["meta"]),
    }


def row_to_item(row: dict[str, Any]) -> dict[str, Any]:
    """The bench item a row came from (`item_to_row` inverted)."""
    speed = row["speed"]
    if speed is not None and float(speed).is_integer() and not isinstance(speed, bool):
        speed = float(speed)
    item = {
        "id": row["id"],
        "video": row["video"],
        "level": row["level"],
        "category": row["category"],
        "question": row["question"],
        "options": list(row["options"]),
        "answer": row["answer"],
        "numbered": bool(row["numbered"]),
        "frames": {
            "indices": [int(i) for i in row["frame_indices"]],
            "transform": None if row["frame_transform"] is None else json.loads(row["frame_transform"]),
            "speed": speed,
            "order": row["order"],
        },
        "source": row["source"],
        "meta": json.loads(row["meta"]),
    }
    problems = item_problems(item)
    if problems:
        raise ValueError(f"row {row.get('id')!r} does not give a valid item: {'; '.join(problems)}")
    return item


def write_parquet(rows: Sequence[dict[str, Any]], path: str | os.PathLike) -> Path:
    pa, pq = _require_pyarrow()
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("video", pa.string()),
            ("clip", pa.string()),
            ("level", pa.string()),
            ("category", pa.string()),
            ("question", pa.string()),
            ("options", pa.list_(pa.string())),
            ("answer", pa.string()),
            ("prompt", pa.string()),
            ("numbered", pa.bool_()),
            ("frame_indices", pa.list_(pa.int64())),
            ("frame_transform", pa.string()),
            ("speed", pa.float64()),
            ("order", pa.string()),
            ("source", pa.string()),
            ("meta", pa.string()),
        ]
    )
    table = pa.Table.from_pylist([{c: r[c] for c in ROW_COLUMNS} for r in rows], schema=schema)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def read_parquet(path: str | os.PathLike) -> list[dict[str, Any]]:
    _, pq = _require_pyarrow()
    return pq.read_table(path).to_pylist()


# =========================================================================== Hugging Face datasets


def export_hf(
    items: Sequence[dict[str, Any]], out_dir: str | os.PathLike, videos_root: str | os.PathLike | None = None
) -> Path:
    """A folder ``datasets.load_dataset(out_dir)`` reads: ``data/test-00000-of-00001.parquet``
    and a dataset card; with ``videos_root``, the videos are copied under ``out_dir`` at their
    relative paths so the folder is self-contained."""
    check_ids(items)
    out = Path(out_dir)
    rows = [item_to_row(it) for it in items]
    write_parquet(rows, out / HF_DATA_FILE)
    if videos_root is not None:
        _copy_videos(items, videos_root, out)
    (out / "README.md").write_text(_dataset_card(items), encoding="utf-8")
    return out


def load_hf_export(out_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """The items of an `export_hf` folder (what ``datasets`` would read, without ``datasets``)."""
    return [row_to_item(r) for r in read_parquet(Path(out_dir) / HF_DATA_FILE)]


def _copy_videos(items, videos_root, out: Path) -> None:
    for rel in sorted({it["video"] for it in items}):
        src = resolve_under(videos_root, rel)
        dst = resolve_under(out, rel)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, dst)


def _dataset_card(items: Sequence[dict[str, Any]]) -> str:
    from sf2t.bench import bench_stats

    stats = bench_stats(items)
    table = ["| level | category | videos | questions |", "|---|---|---|---|"]
    table += [f"| {r['level']} | {r['category']} | {r['videos']} | {r['questions']} |" for r in stats]
    return f"""---
configs:
- config_name: default
  data_files:
  - split: test
    path: {HF_DATA_FILE}
license: mit
task_categories:
- video-text-to-text
tags:
- video
- multiple-choice
- synthetic
pretty_name: FineVidBench-mini (sf2t reconstruction)
---

# FineVidBench-mini

A synthetic, CPU-sized reconstruction of the FineVidBench benchmark of SF²T (Hu et al., CVPR 2025),
built by `sf2t bench build` from procedurally generated videos with exact ground truth. The paper's
own benchmark has 910 videos and 22,718 questions; its categories and question forms here are our
reconstruction, not the paper's release.

Each row is one multiple-choice question about a video. `frame_indices` are the exact source frames in
the order they are shown (`order`: original, reversed, shuffled, ...; `speed`: the playback speed of a
speed variant); `frame_transform` (JSON or null) is a pixel edit applied after decoding; `prompt` is the
question as sf2t renders it; `answer` is a letter. `meta` is JSON.

{chr(10).join(table)}

```python
import datasets
ds = datasets.load_dataset("parquet", data_files={{"test": "{HF_DATA_FILE}"}})["test"]
```
"""
