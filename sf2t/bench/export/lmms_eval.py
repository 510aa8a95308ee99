"""The lmms-eval export: a task folder (YAML + ``utils.py``) for ``lmms-eval --include_path``.

Two tasks share the data: ``<task>`` generates a reply and reads its letter (``generate_until``),
and ``<task>_cloze`` scores each option's own words as the continuation of the question alone
(``multiple_choice``: lmms-eval's ``acc`` and ``acc_norm``, the log-likelihood per option and per
character), the formulation small models can answer; it needs a model wrapper that implements
``loglikelihood`` (lmms-eval 0.7.3's LLaVA-OneVision does, its Qwen2-VL does not: use
``sf2t evaluate --mode cloze`` there).

Harnesses sample frames from a video themselves, so the export renders each item's exact
frames (order, speed variant and transform applied) into its own short clip
(``clips/<id>.mp4``, one frame per source frame, H.264): a model that reads all frames of that
clip sees what `sf2t.evaluate` shows it. Set the harness's frame count to at least the clip
length (16 for FineVidBench-mini). ``utils.py`` imports nothing from sf2t; its answer
extractor is the exact source of `sf2t.common.answers.extract_letter`.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.bench.export.hf import _require_pyarrow, check_ids, item_to_row, write_parquet
from sf2t.bench.schema import CATEGORIES, LEVELS
from sf2t.common.records import resolve_under, write_jsonl

TASK_NAME = "finevidbench_mini"


def metric_name(category: str) -> str:
    """ "Frame Count" -> "frame_count": the lmms-eval metric of a category."""
    return category.lower().replace(" ", "_")


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
    """An lmms-eval task folder: ``<task>.yaml`` (generation), ``<task>_cloze.yaml`` (option texts
    scored as continuations), ``utils.py``, the data file
    (``data/test.parquet`` or ``data/test.jsonl``) and ``clips/<id>.mp4`` with each item's
    exact frames. Use it with ``lmms-eval --include_path OUT --tasks <task>``."""
    if data_format not in ("parquet", "jsonl"):
        raise ValueError(f"data_format must be 'parquet' or 'jsonl', got {data_format!r}")
    if data_format == "parquet":
        _require_pyarrow()
    check_ids(items)
    out = Path(out_dir).resolve()
    task_file = resolve_under(out, f"{task}.yaml")
    out.mkdir(parents=True, exist_ok=True)
    clips = render_item_clips(items, videos_root, out, progress=progress) if render_clips else {}
    rows = [item_to_row(it, clips.get(it["id"])) for it in items]
    if data_format == "parquet":
        data = write_parquet(rows, out / "data" / "test.parquet")
    else:
        data = out / "data" / "test.jsonl"
        write_jsonl(data, rows)
    builder = "parquet" if data_format == "parquet" else "json"
    task_file.write_text(task_yaml(task, data, builder, max_new_tokens), encoding="utf-8")
    resolve_under(out, f"{task}_cloze.yaml").write_text(
        cloze_task_yaml(f"{task}_cloze", data, builder), encoding="utf-8"
    )
    (out / "utils.py").write_text(utils_source(), encoding="utf-8")
    return out


def render_item_clips(
    items: Sequence[dict[str, Any]], videos_root: str | os.PathLike, out_dir: Path, progress: bool = True
) -> dict[str, str]:
    """Write ``clips/<id>.mp4`` per item (its exact frames, each video decoded once);
    returns id -> clip path relative to ``out_dir``. Every clip is written inside
    ``out_dir/clips`` (an id that would lead elsewhere is refused before anything is written)."""
    from collections import defaultdict

    from tqdm import tqdm  # text bars in a kernel too (tqdm.auto wants ipywidgets, else warns)

    from sf2t.video import probe
    from sf2t.video.transforms import ClipFrames

    check_ids(items)
    clips_dir = Path(out_dir) / "clips"
    targets = {it["id"]: resolve_under(clips_dir, f"{it['id']}.mp4") for it in items}
    by_video: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in items:
        by_video[it["video"]].append(it)
    clips_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    with tqdm(total=len(items), desc="clips", disable=not progress, unit="clip") as bar:
        for video, group in by_video.items():
            clip = ClipFrames(videos_root, video, group, blind=False)
            fps = probe(clip.path).fps or 25.0
            for it in group:
                rel = f"clips/{it['id']}.mp4"
                write_mp4(targets[it["id"]], clip.for_item(it), fps)
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


def cloze_task_yaml(task: str, data_file: Path, builder: str) -> str:
    """The cloze variant: the question alone as the context, each option's text as a choice."""
    return "\n".join(
        [
            "# lmms-eval cloze task for FineVidBench-mini, written by sf2t.bench.export: each option's own words are",
            "# scored as the continuation of the question (acc: log-likelihood; acc_norm: per character).",
            f"# Use: lmms-eval --include_path {data_file.parent.parent} --tasks {task}",
            "# Needs a model wrapper with loglikelihood; the frame sampler should read every frame of each clip.",
            f"task: {task}",
            f"dataset_path: {builder}",
            "dataset_kwargs:",
            "  data_files:",
            f"    test: {json.dumps(str(data_file))}",
            "test_split: test",
            "output_type: multiple_choice",
            "doc_to_visual: !function utils.fvb_doc_to_visual",
            "doc_to_text: !function utils.fvb_doc_to_cloze_text",
            "doc_to_choice: !function utils.fvb_doc_to_choice",
            "doc_to_target: !function utils.fvb_doc_to_answer_index",
            'target_delimiter: " "',
            "metric_list:",
            "  - metric: acc",
            "    aggregation: mean",
            "    higher_is_better: true",
            "  - metric: acc_norm",
            "    aggregation: mean",
            "    higher_is_better: true",
            "metadata:",
            "  version: 0.1",
            "",
        ]
    )


_UTILS_HEAD = '''"""lmms-eval hooks for FineVidBench-mini, written by sf2t.bench.export.

Standalone: imports nothing from sf2t, so it runs in any lmms-eval environment. The answer
extractor below is the exact source of sf2t.common.answers.extract_letter. Every metric is an
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


def fvb_doc_to_cloze_text(doc, lmms_eval_specific_kwargs=None):
    """The cloze task's context: the question alone (no option list, no letters)."""
    question = doc["question"]
    if doc.get("numbered"):
        question = f"The frames are numbered 1 to {len(doc['frame_indices'])} in the order shown.\\n" + question
    return question


def fvb_doc_to_choice(doc):
    return list(doc["options"])


def fvb_doc_to_answer_index(doc):
    return LETTERS.index(doc["answer"])


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
