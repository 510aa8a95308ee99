"""Writing a world folder: H.264 MP4s, one JSON truth per video, ``index.jsonl`` and ``world.json``.

`generate` resumes an interrupted run and refuses a folder holding another world; with several
workers it uses spawn processes whose worker is `_make_one` (kept at module level, so picklable).
"""

from __future__ import annotations

import json
import multiprocessing
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.common.records import dumps, write_jsonl
from sf2t.world.config import WorldConfig
from sf2t.world.render import render_video
from sf2t.world.seeds import SEED_BLOCK, SPLITS, video_id, video_seed


def write_mp4(path: str | os.PathLike, frames: np.ndarray, fps: float, crf: int = 14) -> None:
    """Encode RGB frames as H.264 (libx264, yuv420p, ultrafast) in an MP4, deterministically.

    One encoder thread makes the bitstream a pure function of the frames and settings
    (byte-identical files for equal input); the file appears atomically.
    """
    import av

    path = Path(path)
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"{path}: expected (T, H, W, 3) uint8 frames, got {frames.shape} {frames.dtype}")
    if frames.shape[1] % 2 or frames.shape[2] % 2:
        raise ValueError(f"{path}: yuv420p needs even width and height, got {frames.shape[2]}x{frames.shape[1]}")
    tmp = path.with_name(path.name + ".tmp.mp4")
    rate = Fraction(str(fps)).limit_denominator(1001)
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=rate, options={"crf": str(crf), "preset": "ultrafast", "threads": "1"}
        )
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        stream.codec_context.thread_count = 1
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    os.replace(tmp, path)


def make_video(seed: int, out_dir: str | os.PathLike, config: WorldConfig | None = None) -> dict[str, Any]:
    """Write ``<id>.mp4`` and ``<id>.json`` for video ``seed`` into ``out_dir``; returns the truth."""
    cfg = config or WorldConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames, truth = render_video(seed, cfg)
    write_mp4(out / truth["video"], frames, cfg.fps, cfg.crf)
    tmp = out / f"{truth['id']}.json.tmp"
    tmp.write_text(dumps(truth) + "\n", encoding="utf-8")
    os.replace(tmp, out / f"{truth['id']}.json")  # written last: a .json means the .mp4 is complete
    return truth


def _existing(out: Path, seed: int) -> dict[str, Any] | None:
    """The truth of an already written video (resume), or None."""
    vid = video_id(seed)
    js, mp4 = out / f"{vid}.json", out / f"{vid}.mp4"
    if not (js.exists() and mp4.exists()):
        return None
    try:
        truth = json.loads(js.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return truth if truth.get("seed") == seed else None


def _make_one(job: tuple[int, str, dict[str, Any]]) -> dict[str, Any]:
    seed, out_dir, cfg_dict = job
    out = Path(out_dir)
    return _existing(out, seed) or make_video(seed, out, WorldConfig.from_dict(cfg_dict))


def generate(
    out_dir: str | os.PathLike,
    n: int,
    split: str,
    seed: int = 0,
    config: WorldConfig | None = None,
    workers: int = 1,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Make ``n`` videos of ``split`` into ``out_dir`` with ``index.jsonl`` and ``world.json``.

    Video ``i`` gets seed ``video_seed(split, seed, i)``: run seeds own disjoint blocks, so
    different ``seed`` values never share a video. Re-running the same world in the same
    folder resumes (videos already written are kept); a folder holding a different world
    (other config, split or seed) is refused.
    """
    from tqdm import tqdm

    cfg = config or WorldConfig()
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= SEED_BLOCK:
        raise ValueError(f"n must be an integer in [1, {SEED_BLOCK}], got {n!r}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    seeds = [video_seed(split, seed, i) for i in range(n)]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = {
        "config": cfg.to_dict(),
        "split": split,
        "seed": int(seed),
        "seed_rule": f"video seed = {SPLITS[split][0]} + {int(seed)} * {SEED_BLOCK} + index",
    }
    world_path = out / "world.json"
    if world_path.exists():
        try:
            old = json.loads(world_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{world_path}: not valid JSON ({exc.msg}); remove it or use another folder") from exc
        old_core = {k: old.get(k) for k in ("config", "split", "seed")}
        if old_core != {k: world[k] for k in ("config", "split", "seed")}:
            raise ValueError(
                f"{out} already holds another world (split {old.get('split')!r}, "
                f"seed {old.get('seed')!r}, or a different config); use an empty folder"
            )
    (out / "world.json").write_text(dumps({**world, "n": n}) + "\n", encoding="utf-8")

    jobs = [(s, str(out), cfg.to_dict()) for s in seeds]
    bar = tqdm(total=n, desc=f"synth {split}", unit="clip", disable=not progress)
    truths: list[dict[str, Any]] = []
    try:
        if workers == 1:
            for job in jobs:
                truths.append(_make_one(job))
                bar.update(1)
        else:
            ctx = multiprocessing.get_context("spawn")  # safe even when the parent holds threads (torch)
            with ctx.Pool(workers) as pool:
                for truth in pool.imap(_make_one, jobs, chunksize=max(1, min(16, n // (workers * 8)))):
                    truths.append(truth)
                    bar.update(1)
    finally:
        bar.close()
    write_jsonl(out / "index.jsonl", truths)
    return truths
