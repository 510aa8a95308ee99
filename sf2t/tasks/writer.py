"""Decoding each video once and drawing a mixture's samples from it: the records that
``sf2t tasks`` writes (`generate_samples`) and what they took (`Summary`)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.common.prompts import ANSWER_FORMS, in_answer_form
from sf2t.tasks.base import TaskSkip
from sf2t.tasks.mixture import Mixture
from sf2t.video import Clip, VideoError, probe, read_frames, sample_indices

VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


@dataclass
class Summary:
    """What `generate_samples` did: samples written per task, draws skipped by (task,
    reason) (each passed on to a later video), unreadable videos by name and reason."""

    requested: int
    videos: int = 0
    readable: int = 0
    written: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total_written(self) -> int:
        return sum(self.written.values())

    def line(self) -> str:
        per_task = ", ".join(f"{k} {v}" for k, v in sorted(self.written.items())) or "none"
        skips = ", ".join(f"{k[0]}/{k[1]} {v}" for k, v in sorted(self.skipped.items()))
        return (
            f"wrote {self.total_written} of {self.requested} samples from {self.readable}/{self.videos} videos "
            f"({per_task}); skipped {sum(self.skipped.values())} clip-task draws"
            + (f" ({skips}), passed on to later videos" if skips else "")
            + f"; unreadable videos {len(self.unreadable)}"
        )


def list_videos(videos_dir: str | Path) -> list[Path]:
    """Everything under ``videos_dir`` (recursively) named like a video, sorted by relative path.

    Names that are not readable files (a folder called ``x.mp4``, a symbolic link loop, a broken
    link) are listed too: decoding reports them as unreadable videos, by name and reason, instead
    of the writer dropping them silently."""
    root = Path(videos_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"videos folder {root} does not exist or is not a folder")
    files = [p for p in root.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def decode_clip(path: Path, root: Path, frames_per_clip: int) -> Clip:
    """Decode a video once: ``frames_per_clip`` frames by the ``"centers"`` rule (all
    frames if it has fewer); the clip's path is made relative to ``root`` (the form records
    store)."""
    info = probe(path)
    idx = sample_indices(info.num_frames, min(frames_per_clip, info.num_frames), "centers")
    frames = read_frames(path, idx)
    return Clip(path.relative_to(root).as_posix(), frames, idx, info.fps, info.num_frames)


def _clips_with_donors(
    paths: list[Path], root: Path, frames_per_clip: int, summary: Summary
) -> Iterator[tuple[int, Clip, Clip | None]]:
    """``(video number, clip, donor)``: each readable clip with the next readable one as
    its donor (the last one gets the first), so every clip is decoded once and at most
    three are held in memory."""

    def decoded():
        for number, path in enumerate(paths):
            try:
                yield number, decode_clip(path, root, frames_per_clip)
            except VideoError as exc:
                summary.unreadable.append((path.relative_to(root).as_posix(), exc.reason))
                print(f"sf2t tasks: skipping unreadable video {exc}", file=sys.stderr)

    first = previous = None
    for item in decoded():
        summary.readable += 1
        if previous is not None:
            yield previous[0], previous[1], item[1]
        else:
            first = item
        previous = item
    if previous is not None:
        yield previous[0], previous[1], (first[1] if first is not previous else None)


def generate_samples(
    videos_dir: str | Path,
    n: int,
    seed: int,
    mixture: Mixture | None = None,
    frames_per_clip: int = 32,
    progress: bool = False,
    answer_form: str = "letter",
) -> tuple[list[dict[str, Any]], Summary]:
    """``n`` task samples (records) from the videos in ``videos_dir``, and a `Summary`.

    The mixture assigns task names (exact ratios, shuffled by ``seed``); video ``c`` of
    ``C`` gets an equal share of them. Each video is decoded once (`decode_clip`) and all
    its samples are drawn from those frames; indices in records are source-frame numbers.
    A clip that cannot give a task a sample (too short, static) is skipped and counted,
    and an unreadable video is reported by name; either way the request is passed on to
    the next videos (each takes at most as many passed-on requests as its own share), so
    ``n`` samples in the mixture's ratios come out whenever later videos can serve them.
    Same arguments, same records.
    """
    from tqdm import tqdm  # text bars in a kernel too (tqdm.auto wants ipywidgets, else warns)

    if answer_form not in ANSWER_FORMS:
        raise ValueError(f"unknown answer form {answer_form!r}; choose one of {ANSWER_FORMS}")
    mixture = mixture or Mixture.from_spec(None)
    if frames_per_clip < mixture.min_frames():
        needs = {k: t.min_frames() for k, t in mixture.tasks.items() if t.min_frames() > frames_per_clip}
        raise ValueError(f"frames_per_clip={frames_per_clip} is fewer than the tasks need: {needs}")
    root = Path(videos_dir)
    paths = list_videos(root)
    summary = Summary(requested=n, videos=len(paths))
    if not paths:
        return [], summary
    names = mixture.assign(n, np.random.default_rng([seed, 0]))
    share, extra = divmod(n, len(paths))
    starts = [c * share + min(c, extra) for c in range(len(paths) + 1)]
    slots: Counter = Counter()
    records: list[dict[str, Any]] = []
    carried: list[str] = []  # requests that an earlier video could not serve
    bar = tqdm(total=len(paths), desc="fragment tasks", unit="video", disable=not progress)
    last_number = -1
    for number, clip, donor in _clips_with_donors(paths, root, frames_per_clip, summary):
        carried += names[starts[last_number + 1] : starts[number]]  # shares of unreadable videos
        bar.update(number - last_number)
        last_number = number
        rng = np.random.default_rng([seed, 1, number])
        own = names[starts[number] : starts[number + 1]]
        budget = max(1, len(own))
        queue, carried = carried[:budget] + own, carried[budget:]
        for key in queue:
            try:
                sample = mixture.tasks[key].sample(clip, rng, donor=donor, slot=slots[key])
            except TaskSkip as skip:
                summary.skipped[(key, skip.reason)] += 1
                carried.append(key)
                continue
            sample = replace(sample, task=key, id=f"{key}-{len(records):06d}", frames=None)
            records.append(in_answer_form(sample.to_record(), answer_form))
            slots[key] += 1
            summary.written[key] += 1
    bar.update(len(paths) - 1 - last_number)
    bar.close()
    return records, summary
