"""Stage 5, the leakage check: no benchmark video reaches any training data, checked by
ground truth (id and seed) in the synthetic world and by file content for every video, the
user's own included. It runs before any fine-tune."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sf2t.common.records import read_jsonl, resolve_under


class LeakageError(AssertionError):
    """A benchmark video (by id, seed or file) appears in training data."""


def check_no_leakage(training_data: Sequence[tuple[str | Path, str | Path]], bench_world: str | Path) -> dict:
    """Assert that no record of any training file names a benchmark video.

    ``training_data`` lists ``(jsonl path, video root)``. Each record's video is looked up in
    its root's ``index.jsonl`` to find its truth (id and seed), which must be in neither the
    bench ids nor the bench seeds; a record whose video has no truth in its root, or whose root is
    the bench world, is refused too. Returns counts for the results file.
    """
    from sf2t.world import SPLITS, load_truth

    bench_truths = load_truth(bench_world, check_files=False)
    bench_ids = {t["id"] for t in bench_truths}
    bench_seeds = {t["seed"] for t in bench_truths}
    bench_files = {Path(t["video"]).name for t in bench_truths}
    bench_root = Path(bench_world).resolve()
    problems: list[str] = []
    checked: dict[str, int] = {}
    truth_cache: dict[Path, dict[str, dict[str, Any]]] = {}
    for path, root in training_data:
        root = Path(root).resolve()
        if root == bench_root:
            problems.append(f"{path}: its video root is the benchmark world {root}")
            continue
        if root not in truth_cache:
            truth_cache[root] = {t["video"]: t for t in load_truth(root, check_files=False)}
        by_video = truth_cache[root]
        records = read_jsonl(path, required=("id", "video"))
        for rec in records:
            truth = by_video.get(rec["video"])
            if truth is None:
                problems.append(f"{path}: record {rec['id']} names {rec['video']!r}, which has no truth in {root}")
            elif truth["id"] in bench_ids or truth["seed"] in bench_seeds or Path(rec["video"]).name in bench_files:
                problems.append(f"{path}: record {rec['id']} trains on benchmark video {truth['id']}")
            elif SPLITS["bench"][0] <= truth["seed"] < SPLITS["bench"][1]:
                problems.append(f"{path}: record {rec['id']} trains on a bench-split seed {truth['seed']}")
        checked[str(path)] = len(records)
    if problems:
        raise LeakageError(f"{len(problems)} benchmark leak(s) into training data:\n  " + "\n  ".join(problems[:20]))
    return {"records_checked": checked, "bench_videos": len(bench_ids), "leaks": 0}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_no_shared_videos(
    training_data: Sequence[tuple[str | Path, str | Path]], bench_videos: Iterable[str | Path]
) -> dict[str, Any]:
    """Assert that no training record's video file has the same bytes as a benchmark video.

    The check for any data, the user's own included (no ground truth needed): every distinct
    video named by the records of ``training_data`` (``(jsonl path, video root)``) is hashed once
    and compared with the hashes of ``bench_videos``. A copy under another name is caught; a
    re-encoded copy is not (`check_no_leakage` catches those in the synthetic world by seed).
    """
    bench_hashes: dict[str, str] = {}
    for video in bench_videos:
        bench_hashes.setdefault(file_sha256(Path(video)), str(video))
    hashed: dict[Path, str] = {}
    problems: list[str] = []
    checked: dict[str, int] = {}
    for path, root in training_data:
        records = read_jsonl(path, required=("id", "video"))
        for rec in records:
            video = resolve_under(root, rec["video"])
            if video not in hashed:
                hashed[video] = file_sha256(video)
            twin = bench_hashes.get(hashed[video])
            if twin is not None:
                problems.append(
                    f"{path}: record {rec['id']} trains on {video}, the same file as benchmark video {twin}"
                )
        checked[str(path)] = len(records)
    if problems:
        raise LeakageError(f"{len(problems)} benchmark leak(s) into training data:\n  " + "\n  ".join(problems[:20]))
    return {
        "records_checked": checked,
        "training_videos": len(hashed),
        "bench_videos": len(bench_hashes),
        "leaks": 0,
        "training_sha256": sorted(set(hashed.values())),
        "bench_sha256": sorted(bench_hashes),
    }


def stage_leakage(
    training: Sequence[tuple[str, str]], bench_world: str | None, bench_files: Iterable[Path], results_dir: Path
) -> dict[str, Any]:
    """Both checks over every training file of the experiment (``(jsonl path, video root)``),
    against the bench world (synthetic ground truth, when there is one) and the benchmark's video
    files; raises `LeakageError` on any leak. Returns the record for ``leakage.json`` (paths
    relative to ``results_dir``)."""
    training = sorted(set(training))
    synthetic = [(p, r) for p, r in training if (Path(r) / "index.jsonl").is_file()]
    by_truth = check_no_leakage(synthetic, bench_world) if bench_world else {"records_checked": {}}
    by_content = check_no_shared_videos(training, bench_files)
    return {
        "records_checked": {os.path.relpath(k, results_dir): v for k, v in by_truth["records_checked"].items()},
        "records_checked_by_content": {
            os.path.relpath(k, results_dir): v for k, v in by_content["records_checked"].items()
        },
        "training_videos_hashed": by_content["training_videos"],
        "bench_videos": by_content["bench_videos"],
        "leaks": 0,
        # the hashes themselves, so anyone can recheck that the two sets are disjoint from this file alone
        "bench_videos_sha256": by_content["bench_sha256"],
        "training_videos_sha256": by_content["training_sha256"],
    }
