"""FineVidBench in the formats users already run: a Hugging Face ``datasets`` folder
(parquet + dataset card) and an lmms-eval task folder (YAML + ``utils.py``) for
``lmms-eval --include_path``.

Both share one flat row per item (`item_to_row`, inverted by `row_to_item`): nested fields
that parquet would otherwise turn into structs with union-typed children (``meta``, the
pixel transform) are stored as JSON strings, so every row has the same schema.

Harnesses sample frames from a video themselves, so the lmms-eval export renders each item's
exact frames (order, speed variant and transform applied) into its own short clip
(``clips/<id>.mp4``, one frame per source frame, H.264): a model that reads all frames of that
clip sees what `sf2t.evaluate` shows it. Set the harness's frame count to at least the
clip length (16 for FineVidBench-mini). ``utils.py`` imports nothing from sf2t; its answer
extractor is the exact source of `sf2t.evaluate.extract_letter`.

Parquet needs ``pyarrow``, imported only when a parquet file is written or read.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.bench import CATEGORIES, LEVELS, item_problems
from sf2t.common.prompts import render_question
from sf2t.common.records import dumps, resolve_under, write_jsonl

TASK_NAME = "finevidbench_mini"
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


def metric_name(category: str) -> str:
    """ "Frame Count" -> "frame_count": the lmms-eval metric of a category."""
    return category.lower().replace(" ", "_")


# =========================================================================== rows


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


# =========================================================================== lmms-eval


def export_lmms_eval(
    items: Sequence[dict[str, Any]],
    out_dir: str | os.PathLike,
    videos_root: str | os.PathLike,
    data_format: str = "parquet",
    render_clips: bool = True,
    task: str = TASK_NAME,
    max_new_tokens: int = 16,
    progress: bool = True,
) -> Path:
    """An lmms-eval task folder: ``<task>.yaml``, ``utils.py``, the data file
    (``data/test.parquet`` or ``data/test.jsonl``) and ``clips/<id>.mp4`` with each item's
    exact frames. Use it with ``lmms-eval --include_path OUT --tasks <task>``."""
    if data_format not in ("parquet", "jsonl"):
        raise ValueError(f"data_format must be 'parquet' or 'jsonl', got {data_format!r}")
    if data_format == "parquet":
        _require_pyarrow()
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    clips = render_item_clips(items, videos_root, out, progress=progress) if render_clips else {}
    rows = [item_to_row(it, clips.get(it["id"])) for it in items]
    if data_format == "parquet":
        data = write_parquet(rows, out / "data" / "test.parquet")
    else:
        data = out / "data" / "test.jsonl"
        write_jsonl(data, rows)
    (out / f"{task}.yaml").write_text(
        task_yaml(task, data, "parquet" if data_format == "parquet" else "json", max_new_tokens), encoding="utf-8"
    )
    (out / "utils.py").write_text(utils_source(), encoding="utf-8")
    return out


def render_item_clips(
    items: Sequence[dict[str, Any]], videos_root: str | os.PathLike, out_dir: Path, progress: bool = True
) -> dict[str, str]:
    """Write ``clips/<id>.mp4`` per item (its exact frames, each video decoded once);
    returns id -> clip path relative to ``out_dir``."""
    from collections import defaultdict

    from tqdm.auto import tqdm

    from sf2t.video import probe
    from sf2t.video.transforms import ClipFrames

    by_video: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in items:
        by_video[it["video"]].append(it)
    (out_dir / "clips").mkdir(parents=True, exist_ok=True)
    paths = {}
    with tqdm(total=len(items), desc="clips", disable=not progress, unit="clip") as bar:
        for video, group in by_video.items():
            clip = ClipFrames(videos_root, video, group, blind=False)
            fps = probe(clip.path).fps or 25.0
            for it in group:
                rel = f"clips/{it['id']}.mp4"
                write_mp4(out_dir / rel, clip.for_item(it), fps)
                paths[it["id"]] = rel
                bar.update(1)
    return paths


def write_mp4(path: str | os.PathLike, frames: np.ndarray, fps: float) -> Path:
    """Frames as H.264 (yuv420p, near-lossless); odd sizes are padded by one pixel."""
    from fractions import Fraction

    import av

    frames = np.asarray(frames, dtype=np.uint8)
    h, w = frames.shape[1:3]
    frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    path = Path(path)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "10", "preset": "veryfast", "bf": "0"}
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _metrics() -> list[tuple[str, str]]:
    """(metric name, aggregation function name) for overall, each level and each category."""
    names = ["overall", "overall_answered"] + list(LEVELS) + [metric_name(c) for c in CATEGORIES]
    return [(m, f"fvb_aggregate_{m}") for m in names]


def task_yaml(task: str, data_file: Path, builder: str, max_new_tokens: int) -> str:
    metric_lines = []
    for metric, fn in _metrics():
        metric_lines += [
            f"  - metric: {metric}",
            f"    aggregation: !function utils.{fn}",
            "    higher_is_better: true",
        ]
    return "\n".join(
        [
            f"# lmms-eval task for FineVidBench-mini, written by sf2t.bench.export. Use: lmms-eval --include_path "
            f"{data_file.parent.parent} --tasks {task}",
            "# The harness's frame sampler should read every frame of each clip (16 frames at most).",
            f"task: {task}",
            f"dataset_path: {builder}",
            "dataset_kwargs:",
            "  data_files:",
            f"    test: {json.dumps(str(data_file))}",
            "test_split: test",
            "output_type: generate_until",
            "doc_to_visual: !function utils.fvb_doc_to_visual",
            "doc_to_text: !function utils.fvb_doc_to_text",
            "doc_to_target: !function utils.fvb_doc_to_target",
            "generation_kwargs:",
            f"  max_new_tokens: {max_new_tokens}",
            "  temperature: 0",
            "  do_sample: false",
            "process_results: !function utils.fvb_process_results",
            "metric_list:",
            *metric_lines,
            "lmms_eval_specific_kwargs:",
            "  default:",
            '    pre_prompt: ""',
            '    post_prompt: ""',
            "metadata:",
            "  version: 0.1",
            "",
        ]
    )


_UTILS_HEAD = '''"""lmms-eval hooks for FineVidBench-mini, written by sf2t.bench.export.

Standalone: imports nothing from sf2t, so it runs in any lmms-eval environment. The answer
extractor below is the exact source of sf2t.evaluate.extract_letter. Every metric is an
accuracy in [0, 1]; "overall_answered" divides by the questions whose reply gave a letter.
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
LETTERS = "ABCDEFGHIJ"
CATEGORIES = {categories!r}
LEVELS = {levels!r}
METRIC_OF_CATEGORY = {metric_of!r}
METRICS = {metrics!r}


'''

_UTILS_TAIL = '''

def fvb_doc_to_visual(doc):
    """The item's own clip (its exact frames), or the source video when no clip was rendered."""
    return [os.path.join(HERE, doc["clip"] if doc.get("clip") else doc["video"])]


def fvb_doc_to_text(doc, lmms_eval_specific_kwargs=None):
    kwargs = lmms_eval_specific_kwargs or {}
    prompt = doc["prompt"]
    if doc.get("numbered"):
        prompt = f"The frames are numbered 1 to {len(doc['frame_indices'])} in the order shown.\\n" + prompt
    return f"{kwargs.get('pre_prompt', '')}{prompt}{kwargs.get('post_prompt', '')}"


def fvb_doc_to_target(doc):
    return doc["answer"]


def fvb_process_results(doc, results):
    """One record per metric: every aggregation sees every question and keeps its own."""
    reply = results[0] if results else ""
    pred = extract_letter(reply, LETTERS[: len(doc["options"])], list(doc["options"]))
    record = {"id": doc["id"], "level": doc["level"], "category": doc["category"], "answer": doc["answer"],
              "pred": pred, "answered": pred is not None, "correct": pred == doc["answer"]}
    return {metric: record for metric in METRICS}


def _accuracy(results, keep=None, answered_only=False):
    chosen = [r for r in results if (keep is None or keep(r)) and (r["answered"] or not answered_only)]
    if not chosen:
        return float("nan")
    return sum(1.0 for r in chosen if r["correct"]) / len(chosen)


def fvb_aggregate_overall(results):
    return _accuracy(results)


def fvb_aggregate_overall_answered(results):
    return _accuracy(results, answered_only=True)

'''


def utils_source() -> str:
    """The ``utils.py`` of the lmms-eval task (no sf2t import; extractor embedded)."""
    from sf2t.common.answers import extract_letter

    metric_of = {c: metric_name(c) for c in CATEGORIES}
    head = _UTILS_HEAD.format(
        categories=list(CATEGORIES), levels=list(LEVELS), metric_of=metric_of, metrics=[m for m, _ in _metrics()]
    )
    parts = [head, inspect.getsource(extract_letter), _UTILS_TAIL]
    for level in LEVELS:
        parts.append(
            f"\ndef fvb_aggregate_{level}(results):\n"
            f'    return _accuracy(results, lambda r: r["level"] == {level!r})\n\n'
        )
    for category in CATEGORIES:
        parts.append(
            f"\ndef fvb_aggregate_{metric_name(category)}(results):\n"
            f'    return _accuracy(results, lambda r: r["category"] == {category!r})\n\n'
        )
    return "".join(parts).rstrip() + "\n"
