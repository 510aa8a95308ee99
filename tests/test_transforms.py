"""Pixel transforms and comparisons: each edit changes exactly what it says, is re-applicable
from its stored parameters, and `materialize` rebuilds a record's frames from the file."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from sf2t.video import VideoError, read_frames
from sf2t.video.transforms import (
    apply_transform,
    box_quadrant,
    changed_mask,
    differing_quadrants,
    frames_differ,
    materialize,
    paste_patch,
)


def write_mp4(path: Path, frames: np.ndarray, fps: int = 25) -> Path:
    """A real H.264 file (yuv420p, even sizes) so the real decoder runs."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def textured(h=48, w=64, seed=0, frames=2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(frames, h, w, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def video_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("videos")
    rng = np.random.default_rng(1)
    blocks = rng.integers(0, 256, size=(10, 6, 8, 3), dtype=np.uint8)
    write_mp4(root / "a.mp4", blocks.repeat(8, axis=1).repeat(8, axis=2))
    return root


# --------------------------------------------------------------------------- comparisons


def test_changed_mask_uses_the_largest_channel_difference():
    a = np.zeros((2, 2, 3), np.uint8)
    b = a.copy()
    b[0, 0] = [0, 30, 0]
    b[1, 1] = [10, 10, 10]
    assert changed_mask(a, b, threshold=24).tolist() == [[True, False], [False, False]]
    with pytest.raises(ValueError, match="shapes"):
        changed_mask(a, np.zeros((3, 2, 3), np.uint8))


def test_frames_differ_ignores_specks_below_the_minimum():
    a = np.zeros((40, 40, 3), np.uint8)
    b = a.copy()
    b[0, :3] = 255  # 3 pixels < 4 minimum
    assert not frames_differ(a, b)
    b[5, :4] = 255
    assert frames_differ(a, b)


@pytest.mark.parametrize(
    ("rows", "cols", "expected"),
    [
        (slice(2, 6), slice(2, 6), ["top-left"]),
        (slice(2, 6), slice(40, 46), ["top-right"]),
        (slice(30, 36), slice(2, 6), ["bottom-left"]),
        (slice(30, 36), slice(50, 60), ["bottom-right"]),
        (slice(20, 28), slice(28, 36), ["top-left", "top-right", "bottom-left", "bottom-right"]),
    ],
)
def test_differing_quadrants_finds_the_edited_quarter(rows, cols, expected):
    a = np.full((48, 64, 3), 100, np.uint8)
    b = a.copy()
    b[rows, cols] = 200
    assert differing_quadrants(a, b) == expected
    assert differing_quadrants(a, a) == []


def test_box_quadrant():
    assert box_quadrant([0, 0, 10, 10], 48, 64) == "top-left"
    assert box_quadrant([40, 30, 64, 48], 48, 64) == "bottom-right"
    assert box_quadrant([30, 0, 34, 4], 48, 64) is None


# --------------------------------------------------------------------------- edits


def test_no_transform_returns_an_equal_copy():
    frames = textured()
    out = apply_transform(frames, None)
    assert np.array_equal(out, frames) and out is not frames


def test_recolour_shifts_exactly_the_box_by_the_stored_amount():
    frames = textured()
    t = {"kind": "edit", "frame": 1, "op": "recolour", "box": [4, 6, 14, 20], "shift": [100, -70, 128]}
    out = apply_transform(frames, t)
    assert np.array_equal(out[0], frames[0])
    changed = np.argwhere(np.any(out[1] != frames[1], axis=-1))
    assert changed[:, 0].min() >= 6 and changed[:, 0].max() < 20
    assert changed[:, 1].min() >= 4 and changed[:, 1].max() < 14
    diff = (out[1, 6:20, 4:14].astype(int) - frames[1, 6:20, 4:14].astype(int)) % 256
    assert np.all(diff == np.array([100, 256 - 70, 128]))
    # a shift in [64, 192] is visible on any content
    assert changed_mask(out[1, 6:20, 4:14], frames[1, 6:20, 4:14]).all()


def test_erase_fills_the_box():
    frames = textured()
    out = apply_transform(frames, {"kind": "edit", "frame": 0, "op": "erase", "box": [0, 0, 5, 5], "fill": [1, 2, 3]})
    assert np.all(out[0, :5, :5] == [1, 2, 3])
    assert np.array_equal(out[0, 5:], frames[0, 5:]) and np.array_equal(out[1], frames[1])


def test_move_carries_the_patch_and_fills_where_it_was():
    frames = textured()
    t = {"kind": "edit", "frame": 1, "op": "move", "box": [2, 2, 8, 8], "offset": [10, 3], "fill": [0, 0, 0]}
    out = apply_transform(frames, t)
    assert np.array_equal(out[1, 5:11, 12:18], frames[1, 2:8, 2:8])
    assert np.all(out[1, 2:5, 2:8] == 0)
    untouched = np.ones((48, 64), bool)
    untouched[2:8, 2:8] = untouched[5:11, 12:18] = False
    assert np.array_equal(out[1][untouched], frames[1][untouched])


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        ({"kind": "blur"}, "unknown transform kind"),
        ({"kind": "edit", "frame": 0, "op": "smudge", "box": [0, 0, 2, 2]}, "unknown edit op"),
        ({"kind": "edit", "frame": 5, "op": "erase", "box": [0, 0, 2, 2], "fill": [0, 0, 0]}, "frame position"),
        ({"kind": "edit", "frame": 0, "op": "erase", "box": [60, 0, 70, 2], "fill": [0, 0, 0]}, "outside"),
        ({"kind": "edit", "frame": 0, "op": "erase", "box": [0, 0, 2, 2], "fill": [0, 0, 300]}, "0..255"),
        ({"kind": "edit", "frame": 0, "op": "move", "box": [0, 0, 8, 8], "offset": [60, 0], "fill": [0, 0, 0]},
         "moved"),
        ({"kind": "paste", "frames": [0], "at": [0, 0], "source": {"video": "a.mp4", "index": 0, "box": [0, 0, 4, 4]}},
         "data root"),
        ("edit", "null or an object"),
    ],
)  # fmt: skip
def test_bad_transforms_are_refused_with_a_reason(transform, message):
    with pytest.raises(ValueError, match=message):
        apply_transform(textured(), transform)


# --------------------------------------------------------------------------- paste


def paste_transform(video="a.mp4", index=3, outline=None, frames=(0, 1)):
    return {
        "kind": "paste",
        "source": {"video": video, "index": index, "box": [8, 8, 24, 24]},
        "at": [30, 20],
        "frames": list(frames),
        "outline": outline,
    }


def test_paste_inserts_the_donor_patch_into_the_listed_frames_only():
    frames, donor = textured(frames=3), textured(seed=9, frames=1)[0]
    t = paste_transform(frames=[1, 2], outline={"width": 2, "color": [255, 255, 255]})
    out = apply_transform(frames, t, donor_frame=donor)
    assert np.array_equal(out[0], frames[0])
    for p in (1, 2):
        assert np.array_equal(out[p, 22:34, 32:44], donor[10:22, 10:22])  # interior = donor pixels
        assert np.all(out[p, 20:22, 30:46] == 255)  # outline
        outside = np.ones((48, 64), bool)
        outside[20:36, 30:46] = False
        assert np.array_equal(out[p][outside], frames[p][outside])
    assert np.array_equal(paste_patch(donor, t), out[1, 20:36, 30:46])


def test_paste_reads_its_patch_from_the_data_root(video_root):
    frames = textured()
    t = paste_transform()
    donor = read_frames(video_root / "a.mp4", [3])[0]
    assert np.array_equal(apply_transform(frames, t, root=video_root), apply_transform(frames, t, donor_frame=donor))
    with pytest.raises(ValueError, match="outside the data root"):
        apply_transform(frames, paste_transform(video="../escape.mp4"), root=video_root)


# --------------------------------------------------------------------------- materialize


def test_materialize_rebuilds_the_frames_a_record_names(video_root):
    indices = [7, 2, 2, 5]
    edit = {"kind": "edit", "frame": 2, "op": "recolour", "box": [0, 0, 16, 16], "shift": [128, 128, 128]}
    record = {"id": "r1", "video": "a.mp4", "frames": {"indices": indices, "transform": edit}}
    raw = read_frames(video_root / "a.mp4", indices)
    assert np.array_equal(materialize(record, video_root), apply_transform(raw, edit))
    record["frames"]["transform"] = None
    assert np.array_equal(materialize(record, video_root), raw)


def test_materialize_names_the_record_and_the_file(video_root):
    with pytest.raises(ValueError, match="'r2'.*indices"):
        materialize({"id": "r2", "video": "a.mp4", "frames": {"indices": []}}, video_root)
    with pytest.raises(ValueError, match="'r3'.*outside the data root"):
        materialize({"id": "r3", "video": "/etc/passwd", "frames": {"indices": [0]}}, video_root)
    with pytest.raises(VideoError, match="missing.mp4"):
        materialize({"id": "r4", "video": "missing.mp4", "frames": {"indices": [0]}}, video_root)
