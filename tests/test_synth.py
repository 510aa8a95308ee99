"""The synthetic world: decoded pixels agree with the truth, every action does what its
truth says, generation is deterministic, and splits never share a video."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from sf2t import world
from sf2t.cli import main as cli_main
from sf2t.common.records import RecordError, dumps
from sf2t.video import read_frames
from sf2t.world import (
    ACTIONS,
    COLORS,
    SPEED_ACTIONS,
    SPEEDS,
    SPLITS,
    TRUTH_FIELDS,
    OverlapError,
    WorldConfig,
    check_disjoint,
    generate,
    load_truth,
    make_video,
    render_video,
    shape_mask,
    video_seed,
)

SMALL = WorldConfig(width=64, height=64, num_frames=16)


def _rendered(config: WorldConfig, n: int, split: str = "train", run: int = 0):
    return [render_video(video_seed(split, run, i), config) for i in range(n)]


@pytest.fixture(scope="module", params=[SMALL, WorldConfig()], ids=["64px-16f", "112px-32f"])
def rendered(request):
    """48 videos without files (4 per action template, both speeds), frames exact (no codec),
    at the test size and at the default size."""
    return _rendered(request.param, 4 * len(ACTIONS))


def _by_action(rendered, action):
    found = [(f, t) for f, t in rendered if t["action"] == action]
    assert found, f"no {action} video rendered"
    return found


def _centre(box):
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def _colour_at(truth, k, t):
    eff = truth["effect"]
    if truth["action"] == "change_color" and k == truth["actor"] and t >= eff["frame"]:
        return eff["to"]
    return truth["objects"][k]["color"]


def _colour_mask(frame, colour, tol=60):
    return np.abs(frame.astype(int) - np.array(COLORS[colour])).sum(-1) < tol


# --------------------------------------------------------------------------- files and truth


def test_world_folder_holds_valid_truth_for_every_action(world_dir, world_config):
    truths = load_truth(world_dir)
    assert sorted(t["action"] for t in truths) == sorted(ACTIONS)
    for t in truths:
        assert set(TRUTH_FIELDS) <= set(t)
        assert t["split"] == "bench" and SPLITS["bench"][0] <= t["seed"] < SPLITS["bench"][1]
        assert t["id"] == f"bench-{t['seed'] - SPLITS['bench'][0]:06d}" and t["video"] == f"{t['id']}.mp4"
        assert (t["width"], t["height"], t["num_frames"], t["fps"]) == (64, 64, 16, 8.0)
        assert len(t["boxes"]) == 16 and all(len(row) == len(t["objects"]) for row in t["boxes"])
        assert 0 <= t["actor"] < len(t["objects"]) and t["effect"]["text"]
        assert t["speed"] in SPEEDS and t["background"]["kind"] in world_config.backgrounds
        colours = [o["color"] for o in t["objects"]]
        assert len(set(colours)) == len(colours), "object colours must be distinct (a colour names an object)"
        # the per-video JSON is the index line, byte for byte
        assert (world_dir / f"{t['id']}.json").read_text() == dumps(t) + "\n"


def test_decoded_frames_match_truth_boxes(world_dir):
    """Each object's colour mask in the decoded MP4 has the truth box (within the chroma
    blur of yuv420p) and nothing of that colour shows where the truth says invisible."""
    checked = 0
    for truth in load_truth(world_dir):
        frames = read_frames(world_dir / truth["video"], range(truth["num_frames"]))
        assert frames.shape == (16, 64, 64, 3)
        for t, row in enumerate(truth["boxes"]):
            for k, box in enumerate(row):
                mask = _colour_mask(frames[t], _colour_at(truth, k, t))
                if box is None:
                    assert mask.sum() <= 2, f"{truth['id']} frame {t}: object {k} visible but box null"
                    continue
                if box[2] - box[0] < 3 or box[3] - box[1] < 3:
                    continue  # a sliver at the frame edge: chroma subsampling blurs it away
                ys, xs = np.nonzero(mask)
                assert xs.size, f"{truth['id']} frame {t}: object {k} not found in the decoded frame"
                found = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
                assert np.abs(np.subtract(found, box)).max() <= 4, (truth["id"], t, k, box, found)
                assert np.hypot(*np.subtract(_centre(found), _centre(box))) <= 2.5
                checked += 1
    assert checked > 150


def test_rendered_frames_paint_each_object_inside_its_box(rendered):
    for frames, truth in rendered[:24]:
        for t, row in enumerate(truth["boxes"]):
            for k, box in enumerate(row):
                colour = _colour_at(truth, k, t)
                exact = np.all(frames[t] == COLORS[colour], axis=-1)
                if box is None:
                    assert not exact.any()
                    continue
                ys, xs = np.nonzero(exact)
                assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == box


# --------------------------------------------------------------------------- action templates


@pytest.mark.parametrize("action,axis,sign", [
    ("move_left", 0, -1), ("move_right", 0, 1), ("move_up", 1, -1), ("move_down", 1, 1),
])
def test_moves_go_the_named_way_at_the_recorded_pace(rendered, action, axis, sign):
    for _, truth in _by_action(rendered, action):
        centres = np.array([_centre(row[truth["actor"]]) for row in truth["boxes"]])
        steps = np.diff(centres[:, axis]) * sign
        assert (steps >= -0.5).all() and centres[-1, axis] * sign > centres[0, axis] * sign
        assert np.ptp(centres[:, 1 - axis]) <= 0.5, "a move stays on its line"
        pace = abs(centres[-1, axis] - centres[0, axis]) / (truth["num_frames"] - 1)
        assert pace == pytest.approx(truth["speed_px_per_frame"], abs=1.0 / (truth["num_frames"] - 1))
        side = min(truth["width"], truth["height"])
        expected = SPEEDS[truth["speed"]] * side / (truth["num_frames"] - 1)
        assert truth["speed_px_per_frame"] == pytest.approx(expected, abs=1e-3)
        assert truth["effect"]["kind"] == "position" and truth["effect"]["direction"] == action[5:]
        assert truth["effect"]["region"] == world.region_of(*centres[-1], truth["width"], truth["height"])


def test_consecutive_seeds_cover_every_action_and_speed():
    for start in (0, 5):
        seeds = [video_seed("labelled", 0, start + i) for i in range(2 * len(ACTIONS))]
        pairs = {(render_video(s, SMALL)[1]["action"], render_video(s, SMALL)[1]["speed"]) for s in seeds}
        assert pairs == {(a, sp) for a in ACTIONS for sp in SPEEDS}


def test_fast_is_twice_slow_for_every_paced_action(rendered):
    for action in SPEED_ACTIONS:
        paces = {t["speed"]: t["speed_px_per_frame"] for _, t in _by_action(rendered, action)
                 if action not in ("rotate", "grow", "shrink", "collide")}
        if len(paces) == 2:
            assert paces["fast"] == pytest.approx(2 * paces["slow"], abs=2e-4)  # truth rounds to 4 decimals
    for _, t in rendered:
        if t["action"] in SPEED_ACTIONS:
            assert t["speed_px_per_frame"] > 0
        else:
            assert t["speed_px_per_frame"] == 0.0


def test_rotate_turns_in_place_and_changes_the_pixels(rendered):
    for frames, truth in _by_action(rendered, "rotate"):
        a = truth["actor"]
        assert truth["objects"][a]["shape"] != "circle"
        centres = np.array([_centre(row[a]) for row in truth["boxes"]])
        # turns about its unrotated box centre: a turning triangle's box wobbles by up to half its size
        assert np.ptp(centres, axis=0).max() <= truth["objects"][a]["size"] / 2
        colour = COLORS[truth["objects"][a]["color"]]
        first, last = (np.all(frames[i] == colour, axis=-1) for i in (0, -1))
        assert (first ^ last).sum() >= 4, "the end state must differ from the start"
        assert truth["effect"]["degrees"] == world.ROTATION_DEGREES[truth["speed"]]


def test_positive_angle_turns_clockwise_on_screen():
    x0, y0, mask = shape_mask("triangle", 20.0, 20.0, 20.0, 30.0, 40, 40)
    ys, xs = np.nonzero(mask)
    apex_x = x0 + xs[ys == ys.min()].mean() + 0.5
    assert apex_x > 20.0, "the top vertex moves right when turning clockwise"


@pytest.mark.parametrize("action", ["grow", "shrink"])
def test_grow_and_shrink_change_size_monotonically(rendered, action):
    for _, truth in _by_action(rendered, action):
        a = truth["actor"]
        widths = np.array([row[a][2] - row[a][0] for row in truth["boxes"]])
        sign = 1 if action == "grow" else -1
        assert (np.diff(widths) * sign >= 0).all() and (widths[-1] - widths[0]) * sign >= 5
        eff = truth["effect"]
        assert eff["kind"] == "size" and (eff["to"] - eff["from"]) * sign > 0
        assert abs(widths[-1] - eff["to"]) <= 1 and abs(widths[0] - eff["from"]) <= 1


def test_change_color_switches_at_the_effect_frame(rendered):
    for frames, truth in _by_action(rendered, "change_color"):
        a, eff = truth["actor"], truth["effect"]
        assert eff["from"] == truth["objects"][a]["color"] != eff["to"]
        assert eff["to"] not in [o["color"] for o in truth["objects"]]
        cx, cy = (int(v) for v in _centre(truth["boxes"][0][a]))
        assert tuple(frames[eff["frame"] - 1][cy, cx]) == COLORS[eff["from"]]
        assert tuple(frames[eff["frame"]][cy, cx]) == COLORS[eff["to"]]


@pytest.mark.parametrize("action,visible_after", [("appear", True), ("disappear", False)])
def test_appear_and_disappear_toggle_visibility_once(rendered, action, visible_after):
    for _, truth in _by_action(rendered, action):
        a, te = truth["actor"], truth["effect"]["frame"]
        visible = [row[a] is not None for row in truth["boxes"]]
        assert visible == [(t >= te) == visible_after for t in range(truth["num_frames"])]
        assert 0 < te < truth["num_frames"] and truth["effect"]["visible"] is visible_after


def test_fall_off_leaves_across_the_named_edge(rendered):
    for _, truth in _by_action(rendered, "fall_off"):
        a, eff, w, h = truth["actor"], truth["effect"], truth["width"], truth["height"]
        boxes = [row[a] for row in truth["boxes"]]
        x0, y0, x1, y1 = boxes[0]
        assert x0 > 0 and y0 > 0 and x1 < w and y1 < h, "starts fully inside the frame"
        assert all(b is None for b in boxes[eff["frame"]:]) and boxes[eff["frame"] - 1] is not None
        assert eff["frame"] < truth["num_frames"]
        last = boxes[eff["frame"] - 1]
        touching = {"left": last[0] == 0, "right": last[2] == w, "top": last[1] == 0, "bottom": last[3] == h}
        assert touching[eff["edge"]], f"last visible box {last} should touch the {eff['edge']} edge"


def test_collide_approaches_and_stops_touching(rendered):
    for frames, truth in _by_action(rendered, "collide"):
        a, eff = truth["actor"], truth["effect"]
        o = eff["other"]
        assert o != a and len(truth["objects"]) >= 2
        colours = [COLORS[truth["objects"][k]["color"]] for k in (a, o)]

        def touching(t, frames=frames, colours=colours):
            ma, mo = (np.all(frames[t] == c, axis=-1) for c in colours)
            assert not (ma & mo).any()
            grown = ma.copy()
            grown[1:] |= ma[:-1]
            grown[:-1] |= ma[1:]
            grown[:, 1:] |= ma[:, :-1]
            grown[:, :-1] |= ma[:, 1:]
            return bool((grown & mo).any())

        assert not touching(0) and touching(eff["frame"]) and touching(truth["num_frames"] - 1)
        assert all(not touching(t) for t in range(eff["frame"]))
        gaps = [np.hypot(*np.subtract(_centre(row[a]), _centre(row[o]))) for row in truth["boxes"]]
        assert (np.diff(gaps) <= 0.5).all() and gaps[-1] < gaps[0]
        assert truth["boxes"][-1][a] == truth["boxes"][eff["frame"]][a], "the actor stops at contact"


def _apart(a, b):
    return a is None or b is None or a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_distractors_stay_still_and_clear_of_the_action(rendered):
    for _, truth in rendered:
        involved = (truth["actor"], truth["effect"].get("other"))
        for k in range(len(truth["objects"])):
            if k in involved:
                continue
            assert len({tuple(row[k]) for row in truth["boxes"]}) == 1
            for row in truth["boxes"]:
                assert all(_apart(row[k], row[j]) for j in range(len(row)) if j != k)


def test_captions_name_the_actor_and_the_action(rendered):
    for _, truth in rendered:
        obj = truth["objects"][truth["actor"]]
        assert f"{obj['color']} {obj['shape']}" in truth["caption"]
        assert world.ACTION_TEXT[truth["action"]] in truth["caption"]


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_same_bytes_and_frames(tmp_path):
    seed = video_seed("train", 3, 7)
    f1, t1 = render_video(seed, SMALL)
    f2, t2 = render_video(seed, SMALL)
    assert dumps(t1) == dumps(t2) and np.array_equal(f1, f2)
    make_video(seed, tmp_path / "a", SMALL)
    make_video(seed, tmp_path / "b", SMALL)
    name = t1["id"]
    for suffix in (".json", ".mp4"):
        assert (tmp_path / "a" / f"{name}{suffix}").read_bytes() == (tmp_path / "b" / f"{name}{suffix}").read_bytes()
    decoded = [read_frames(tmp_path / d / f"{name}.mp4", range(16)) for d in ("a", "b")]
    assert np.array_equal(*decoded)


def test_noise_background_is_deterministic_and_seed_dependent():
    cfg = WorldConfig(width=64, height=64, num_frames=16, backgrounds=("noise",))
    a1, _ = render_video(video_seed("train", 0, 0), cfg)
    a2, _ = render_video(video_seed("train", 0, 0), cfg)
    b, _ = render_video(video_seed("train", 0, 1), cfg)
    assert np.array_equal(a1[0], a2[0]) and not np.array_equal(a1[0], b[0])
    assert np.ptp(a1[0].astype(int)) > 40, "per-pixel noise"


def test_plain_world_is_the_easy_knob():
    for _, truth in _rendered(WorldConfig(width=64, height=64, num_frames=16, backgrounds=("plain",)), 8):
        assert truth["background"]["kind"] == "plain"


def test_parallel_generation_equals_serial(tmp_path):
    serial = generate(tmp_path / "s", 6, "labelled", seed=2, config=SMALL, workers=1, progress=False)
    parallel = generate(tmp_path / "p", 6, "labelled", seed=2, config=SMALL, workers=2, progress=False)
    assert [dumps(t) for t in serial] == [dumps(t) for t in parallel]
    assert (tmp_path / "s" / "index.jsonl").read_bytes() == (tmp_path / "p" / "index.jsonl").read_bytes()
    for t in serial:
        assert (tmp_path / "s" / t["video"]).read_bytes() == (tmp_path / "p" / t["video"]).read_bytes()


def test_rerun_resumes_and_refuses_another_world(tmp_path):
    first = generate(tmp_path, 3, "train", seed=1, config=SMALL, progress=False)
    stamp = (tmp_path / first[0]["video"]).stat().st_mtime_ns
    again = generate(tmp_path, 4, "train", seed=1, config=SMALL, progress=False)
    assert again[:3] == first and len(load_truth(tmp_path)) == 4
    assert (tmp_path / first[0]["video"]).stat().st_mtime_ns == stamp, "written videos are kept"
    with pytest.raises(ValueError, match="another world"):
        generate(tmp_path, 3, "train", seed=2, config=SMALL, progress=False)


# --------------------------------------------------------------------------- seeds and splits


def test_split_ranges_are_disjoint_and_runs_own_blocks():
    ranges = sorted(SPLITS.values())
    assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert video_seed("train", 0, 0) == 0
    assert video_seed("bench", 1, 5) == SPLITS["bench"][0] + world.SEED_BLOCK + 5
    last_of_run0 = video_seed("train", 0, world.SEED_BLOCK - 1)
    assert last_of_run0 < video_seed("train", 1, 0)
    assert world.video_id(video_seed("bench", 0, 12)) == "bench-000012"
    with pytest.raises(ValueError, match="run seed"):
        video_seed("train", world.RUNS_PER_SPLIT, 0)
    with pytest.raises(ValueError, match="split"):
        video_seed("test", 0, 0)
    with pytest.raises(ValueError, match="outside every split"):
        render_video(SPLITS["bench"][1] + 5, SMALL)


def test_check_disjoint_passes_for_distinct_runs_and_splits(tmp_path, world_dir):
    a = tmp_path / "train0"
    b = tmp_path / "train1"
    generate(a, 2, "train", seed=0, config=SMALL, progress=False)
    generate(b, 2, "train", seed=1, config=SMALL, progress=False)
    counts = check_disjoint(a, b, world_dir)
    assert list(counts.values()) == [2, 2, 12]


def test_check_disjoint_fails_on_shared_videos(tmp_path, world_dir):
    copy = tmp_path / "copy"
    shutil.copytree(world_dir, copy)
    with pytest.raises(OverlapError, match=r"video seed 2000000000 .*occurs in"):
        check_disjoint(world_dir, copy)
    # the same run seed generated twice into two folders overlaps too
    generate(tmp_path / "x", 2, "train", seed=5, config=SMALL, progress=False)
    generate(tmp_path / "y", 3, "train", seed=5, config=SMALL, progress=False)
    with pytest.raises(OverlapError, match="4 overlap"):
        check_disjoint(tmp_path / "x", tmp_path / "y")


# --------------------------------------------------------------------------- reading and validation


def test_load_truth_reports_every_bad_line(tmp_path, world_dir):
    shutil.copytree(world_dir, tmp_path / "w")
    index = tmp_path / "w" / "index.jsonl"
    lines = index.read_text().splitlines()
    broken = json.loads(lines[2])
    broken["video"] = "gone.mp4"
    lines[2] = dumps(broken)
    lines[4] = "{not json"
    lines[6] = json.dumps({"id": "x"})
    index.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordError) as err:
        load_truth(tmp_path / "w")
    assert [n for n, _ in err.value.problems] == [3, 5, 7]
    assert "gone.mp4" in str(err.value) and "missing field" in str(err.value)
    with pytest.raises(RecordError) as err:
        load_truth(tmp_path / "w", check_files=False)
    assert [n for n, _ in err.value.problems] == [5, 7], "without file checks only the bad records remain"


def test_load_truth_refuses_a_folder_without_index(tmp_path):
    with pytest.raises(FileNotFoundError, match="no index.jsonl"):
        load_truth(tmp_path)


@pytest.mark.parametrize("kwargs,message", [
    ({"width": 63}, "width must be even"),
    ({"height": 8}, "height must be an integer"),
    ({"num_frames": 4}, "num_frames"),
    ({"fps": 0}, "fps"),
    ({"actions": ("move_left", "teleport")}, "unknown actions"),
    ({"backgrounds": ()}, "backgrounds is empty"),
    ({"backgrounds": "plain"}, "must be a sequence"),
    ({"shapes": ("circle",), "actions": ("rotate",)}, "rotate"),
    ({"colors": ("red", "green", "blue")}, "colours"),
    ({"max_objects": 1, "actions": ("collide",)}, "collide"),
    ({"min_objects": 3, "max_objects": 2}, "min_objects"),
    ({"size_range": (0.2, 0.1)}, "size_range"),
    ({"crf": 60}, "crf"),
    ({"speeds": (0.6, 0.3)}, "speeds"),
    ({"speeds": (0.3, 0.9)}, "speeds"),
])
def test_config_validation_names_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WorldConfig(**kwargs)


def test_config_round_trips_through_json():
    cfg = WorldConfig(width=96, height=64, backgrounds=("plain", "noise"))
    assert WorldConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match="unknown WorldConfig field"):
        WorldConfig.from_dict({"colour": "red"})


def test_speeds_set_how_far_a_translation_goes_and_the_default_keeps_old_config_bytes():
    assert "speeds" not in SMALL.to_dict()  # worlds written before the field keep their bytes
    fast = WorldConfig(width=64, height=64, num_frames=16, actions=("move_left",), speeds=(0.5, 0.65))
    assert WorldConfig.from_dict(json.loads(json.dumps(fast.to_dict()))) == fast
    for i in range(2):  # seed i: "slow", then "fast" (one action)
        _, truth = render_video(i, fast)
        assert truth["effect"]["distance_px"] == pytest.approx(fast.speed_share(truth["speed"]) * 64, abs=0.01)
        _, plain = render_video(i, WorldConfig(width=64, height=64, num_frames=16, actions=("move_left",)))
        assert plain["effect"]["distance_px"] == pytest.approx(SPEEDS[plain["speed"]] * 64, abs=0.01)


def test_generate_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="n must be"):
        generate(tmp_path, 0, "train", progress=False)
    with pytest.raises(ValueError, match="unknown split"):
        generate(tmp_path, 1, "validation", progress=False)


def test_non_square_frames_render():
    frames, truth = render_video(video_seed("train", 0, 11), WorldConfig(width=96, height=48, num_frames=12))
    assert frames.shape == (12, 48, 96, 3) and truth["action"] in ACTIONS


# --------------------------------------------------------------------------- command line


def test_cli_generates_and_checks(tmp_path, capsys, world_dir):
    out = tmp_path / "cli"
    assert cli_main(["synth", "--out", str(out), "--n", "3", "--seed", "4", "--split", "labelled",
                     "--size", "48", "--frames", "12", "--backgrounds", "plain", "--no-progress"]) == 0
    truths = load_truth(out)
    assert len(truths) == 3 and {t["background"]["kind"] for t in truths} == {"plain"}
    assert {(t["width"], t["num_frames"], t["split"]) for t in truths} == {(48, 12, "labelled")}
    assert cli_main(["synth", "--check-disjoint", str(out), str(world_dir)]) == 0
    assert "disjoint" in capsys.readouterr().out
    assert cli_main(["synth", "--check-disjoint", str(out), str(out)]) == 1
    assert "overlap" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n", "0"], "--n: must be a positive integer, got 0"),
        (["--n", "-3"], "--n: must be a positive integer, got -3"),
        (["--n", "many"], "--n: must be a positive integer, got 'many'"),
        (["--size", "7"], "width must be an integer in [16, 2048], got 7"),
        (["--size", "0"], "--size: must be a positive integer"),
        (["--size", "33"], "width must be even"),
        (["--workers", "0"], "--workers: must be a positive integer, got 0"),
        (["--seed", "5000"], "run seed must be an integer in [0, 1000)"),
    ],
)
def test_cli_refuses_bad_arguments_in_one_line(tmp_path, capsys, args, message):
    assert cli_main(["synth", "--out", str(tmp_path / "w"), "--no-progress", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sf2t synth: ") and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "w").exists()


def test_cli_without_out_or_into_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert cli_main(["synth", "--no-progress"]) == 2
    assert capsys.readouterr().err == "sf2t synth: --out is required (or use --check-disjoint)\n"
    assert cli_main(["synth", "--out", str(tmp_path / "afile"), "--n", "1", "--no-progress"]) == 2
    assert capsys.readouterr().err == f"sf2t synth: --out {tmp_path / 'afile'} is a file, not a folder\n"
