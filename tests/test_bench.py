"""FineVidBench items: loading names every problem, the mini builder covers every category
with determined answers, plausible distractors and balanced letters."""

import json
import os
from collections import Counter

import numpy as np
import pytest

from sf2t import world
from sf2t.bench import (
    CATEGORIES,
    FRAGMENT_CATEGORIES,
    SCENE_CATEGORIES,
    bench_stats,
    item_problems,
    load_bench,
    save_bench,
    spread_subset,
    validate,
)
from sf2t.bench.build import ACTION_TEXT, MiniConfig, build_items, build_mini
from sf2t.common.records import RecordError, read_jsonl
from sf2t.video import PLAYBACK_SPEEDS, speed_indices
from sf2t.video.transforms import materialize

SMALL_WORLD = world.WorldConfig(width=64, height=64, num_frames=16)


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    """24 bench videos: every action twice."""
    root = tmp_path_factory.mktemp("world")
    world.generate(root, 24, "bench", seed=0, config=SMALL_WORLD, progress=False)
    return root


@pytest.fixture(scope="module")
def truths(world_dir):
    return world.load_truth(world_dir)


@pytest.fixture(scope="module")
def built(world_dir, tmp_path_factory):
    return build_mini(world_dir, tmp_path_factory.mktemp("bench"), n_videos=24, questions_per_video=25)


def _answer_text(item):
    return item["options"][ord(item["answer"]) - ord("A")]


def _item(**over):
    item = {
        "id": "x-1",
        "video": "v.mp4",
        "level": "scene",
        "category": "Action",
        "question": "What happens?",
        "options": ["it moves up", "it rotates"],
        "answer": "B",
        "numbered": False,
        "frames": {"indices": [0, 1], "transform": None, "speed": None, "order": "original"},
        "source": "test",
        "meta": {},
    }
    item.update(over)
    return item


def _write(path, lines):
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")


# --------------------------------------------------------------------------- schema and loading


def test_every_malformed_line_is_named(tmp_path):
    (tmp_path / "v.mp4").write_bytes(b"x")
    bench = tmp_path / "b.jsonl"
    _write(
        bench,
        [
            _item(id="ok"),
            "{not json",
            {k: v for k, v in _item(id="no-options").items() if k != "options"},
            _item(id="bad-cat", category="Counting"),
            _item(id="bad-letter", answer="C"),
            _item(id="ok"),
            _item(id="escape", video="../outside.mp4"),
            _item(id="wrong-level", level="fragment"),
            _item(id="dup-opts", options=["same", "same"]),
        ],
    )
    with pytest.raises(RecordError) as err:
        load_bench(bench)
    lines = dict(err.value.problems)
    assert sorted(lines) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "duplicate id 'ok' (first on line 1)" in lines[6]
    assert "outside the data root" in lines[7]
    assert "missing field 'options'" in lines[3]
    assert str(bench) in str(err.value)


def test_missing_video_skips_its_items_and_keeps_the_rest(tmp_path):
    (tmp_path / "here.mp4").write_bytes(b"x")
    bench = tmp_path / "b.jsonl"
    _write(bench, [_item(id="a", video="here.mp4"), _item(id="b", video="gone.mp4"), _item(id="c", video="here.mp4")])
    items, skipped = load_bench(bench)
    assert [it["id"] for it in items] == ["a", "c"]
    assert [(s.line, s.id) for s in skipped] == [(2, "b")] and "does not exist" in skipped[0].reason
    assert any("gone.mp4" in p for p in validate(bench, tmp_path))


def test_symlink_and_absolute_paths_leaving_the_root_are_refused(tmp_path):
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"x")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "link.mp4")
    bench = root / "b.jsonl"
    _write(bench, [_item(id="a", video="link.mp4"), _item(id="b", video=str(outside))])
    with pytest.raises(RecordError) as err:
        load_bench(bench)
    assert [n for n, _ in err.value.problems] == [1, 2]


def test_item_schema_checks_frames():
    assert item_problems(_item()) == []
    bad = _item(frames={"indices": [], "transform": "x", "speed": -1, "order": "sideways"})
    text = "; ".join(item_problems(bad))
    for part in ("frames.indices", "frames.transform", "frames.speed", "frames.order"):
        assert part in text


# --------------------------------------------------------------------------- builder


def test_mini_covers_every_category_and_level(built):
    items = built.items
    assert {it["category"] for it in items} == set(CATEGORIES)
    assert {it["level"] for it in items if it["category"] in SCENE_CATEGORIES} == {"scene"}
    assert {it["level"] for it in items if it["category"] in FRAGMENT_CATEGORIES} == {"fragment"}
    assert all(item_problems(it) == [] for it in items)
    assert len({it["id"] for it in items}) == len(items)
    # the file written is the one that loads, videos copied into the bench folder
    loaded, skipped = load_bench(built.path)
    assert loaded == items and skipped == []
    assert all((built.path.parent / it["video"]).is_file() for it in items)


def test_size_follows_the_paper_proportion(built):
    assert MiniConfig().n_videos == 120 and MiniConfig().questions_per_video == 25
    videos = {it["video"] for it in built.items}
    assert len(videos) == 24
    assert 0.85 * 24 * 25 <= len(built.items) <= 24 * 25


def test_options_are_distinct_plausible_and_letters_balanced(built):
    turns = Counter()
    for it in built.items:
        opts = it["options"]
        assert len(set(opts)) == len(opts)
        assert opts.count(_answer_text(it)) == 1
        if it["category"] in ("Action", "Meaning of Order"):
            assert set(opts) <= set(ACTION_TEXT.values())
        if it["category"] == "Frame Count":
            assert all(o.isdigit() for o in opts)
        if it["category"] == "Rearrangement":
            n = len(it["frames"]["indices"])
            assert all(sorted(int(x) for x in o.split(", ")) == list(range(1, n + 1)) for o in opts)
        turns[(it["category"], len(opts), it["answer"])] += 1
    for (category, m, _), _count in turns.items():
        counts = [turns[(category, m, chr(65 + k))] for k in range(m)]
        assert max(counts) - min(counts) <= 1, (category, m, counts)


def test_answers_are_determined_by_the_frames_shown(built, truths):
    truth = {t["id"]: t for t in truths}
    for it in built.items:
        idx, ans = it["frames"]["indices"], _answer_text(it)
        t = truth[it["source"].split(":", 1)[1]]
        cat = it["category"]
        if cat == "Frame Count" and it["meta"]["variant"] == "distinct":  # the control: k frames, each twice
            assert int(ans) == len(set(idx)) and len(idx) == 2 * int(ans) and str(len(idx)) in it["options"]
            assert all(idx[2 * k] == idx[2 * k + 1] for k in range(int(ans)))
            boxes = [t["boxes"][i][t["actor"]] for i in sorted(set(idx))]
            assert all(a != b for a, b in zip(boxes, boxes[1:], strict=False))  # every frame visibly another
        elif cat == "Frame Count":
            assert int(ans) == len(idx)
        elif cat == "Adjust or Not":
            assert ans.startswith("yes") == (idx == sorted(idx))
            assert idx != sorted(idx, reverse=True)  # a reversed clip is never asked about
        elif cat == "Rearrangement":
            restored = [idx[int(k) - 1] for k in ans.split(", ")]
            assert restored == sorted(restored) and idx != sorted(idx)
        elif cat == "Meaning of Order":
            reverse = it["frames"]["order"] == "reversed"
            assert idx == sorted(idx, reverse=reverse)
            assert (ans == ACTION_TEXT[t["action"]]) == (not reverse)
        elif cat == "Action":
            assert ans == ACTION_TEXT[t["action"]]
        elif cat == "Frame Comparison":
            actor = [t["boxes"][i][t["actor"]] for i in idx]
            if idx[0] == idx[1]:
                assert ans == "nothing is different"
            if ans == "nothing is different":
                assert actor[0] == actor[1] is not None or idx[0] == idx[1]
            else:
                assert actor[0] != actor[1] or t["action"] in ("change_color", "rotate")
        elif cat == "Effect" and t["effect"]["kind"] == "color":
            assert ans == f"it is {t['effect']['to']}"
        elif cat == "Speed" and it["frames"]["speed"] is not None:
            s = it["frames"]["speed"]
            assert ans == f"{s:g}×"
            # the video module's resampling at that speed, placed on the action
            starts = np.linspace(0, 1, 2001)
            assert any(speed_indices(t["num_frames"], len(idx), s, start=x).tolist() == idx for x in starts)


def test_frame_comparison_identical_pair_is_pixel_identical(built):
    item = next(
        it for it in built.items if it["category"] == "Frame Comparison" and _answer_text(it) == "nothing is different"
    )
    frames = materialize(item, built.path.parent)
    assert np.array_equal(frames[0], frames[1])


def test_speed_and_sequence_variants_are_present(built):
    speeds = {it["frames"]["speed"] for it in built.items if it["category"] == "Speed"}
    assert set(PLAYBACK_SPEEDS) <= speeds
    assert {it["frames"]["speed"] for it in built.items if it["category"] == "Action"} - {4.0}
    orders = {it["frames"]["order"] for it in built.items}
    assert {"original", "reversed", "shuffled", "pair"} <= orders
    assert orders & {"swapped", "segment-reversed"}
    counts = {len(it["frames"]["indices"]) for it in built.items if it["category"] == "Frame Count"}
    assert len(counts) >= 4 and all(n % 2 == 0 for n in counts)


def test_builder_is_deterministic_and_seeded(truths):
    a = build_items(truths, MiniConfig(n_videos=12, seed=3))
    b = build_items(list(reversed(truths)), MiniConfig(n_videos=12, seed=3))
    c = build_items(truths, MiniConfig(n_videos=12, seed=4))
    assert json.dumps(a) == json.dumps(b)
    assert json.dumps(a) != json.dumps(c)


def test_builder_refuses_other_splits_and_too_few_videos(truths):
    leaked = [dict(truths[0], split="train")] + list(truths[1:])
    with pytest.raises(ValueError, match="'bench' split only"):
        build_items(leaked, MiniConfig(n_videos=4))
    with pytest.raises(ValueError, match="only 24 bench videos"):
        build_items(truths, MiniConfig(n_videos=25))


def test_a_parameter_scales_the_size(truths):
    small = build_items(truths, MiniConfig(n_videos=6, questions_per_video=8))
    assert len({it["video"] for it in small}) == 6 and len(small) == 48
    assert len({it["category"] for it in small}) == 8


# --------------------------------------------------------------------------- statistics and CLI


def test_stats_rows_add_up(built, tmp_path):
    rows = bench_stats(built.items)
    by = {(r["level"], r["category"]): r for r in rows}
    assert sum(by[("scene", c)]["questions"] for c in SCENE_CATEGORIES) == by[("scene", "all")]["questions"]
    assert by[("all", "all")]["questions"] == len(built.items)
    assert by[("all", "all")]["videos"] == 24
    for suffix in (".csv", ".md", ".tex"):
        assert "Meaning of Order" in (built.path.parent / f"stats{suffix}").read_text()


def test_save_refuses_invalid_items(tmp_path):
    with pytest.raises(RecordError):
        save_bench([_item(), _item(answer="Z")], tmp_path / "b.jsonl")


def test_cli_build_stats_validate(world_dir, tmp_path, capsys):
    from sf2t.cli import main

    out = tmp_path / "cli"
    assert (
        main(
            [
                "bench",
                "build",
                "--world",
                str(world_dir),
                "--out",
                str(out),
                "--n-videos",
                "4",
                "--questions-per-video",
                "10",
            ]
        )
        == 0
    )
    bench = out / "finevidbench_mini.jsonl"
    assert len(read_jsonl(bench)) == 40
    assert main(["bench", "validate", str(bench)]) == 0
    assert main(["bench", "stats", str(bench), "--out", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s.tex").is_file()
    (out / "videos" / "bench-000000.mp4").unlink()
    assert main(["bench", "validate", str(bench)]) == 1
    assert "bench-000000.mp4" in capsys.readouterr().out


def test_spread_subset_takes_every_category_from_many_videos(built):
    sub = spread_subset(built.items, 5)
    counts = Counter(it["category"] for it in sub)
    assert set(counts) == set(CATEGORIES) and set(counts.values()) == {5}
    assert len({it["video"] for it in sub}) >= 10
    order = [it["id"] for it in built.items]
    assert [order.index(it["id"]) for it in sub] == sorted(order.index(it["id"]) for it in sub)


def test_spread_subset_balances_answer_letters_so_one_letter_scores_chance(built):
    sub = spread_subset(built.items, 8)
    for category in CATEGORIES:
        letters = Counter(it["answer"] for it in sub if it["category"] == category)
        assert max(letters.values()) - min(letters.values()) <= 1, (category, letters)
    # a letter the bench has too few of is topped up from the others, never over-drawn
    from sf2t.bench import _letter_quota

    assert _letter_quota({"A": 1, "B": 9}, 6) == {"A": 1, "B": 5}
    assert _letter_quota({"A": 2, "B": 2}, 9) == {"A": 2, "B": 2}


def test_scene_question_drafts_serve_any_split_and_place_options_balances_letters(world_dir):
    from sf2t.bench.build import MiniConfig, place_options, scene_question_drafts

    truth = {**world.load_truth(world_dir)[0], "split": "labelled"}
    rng = np.random.default_rng(0)
    drafts = scene_question_drafts(truth, MiniConfig(n_videos=1), rng, ["Action", "Speed"], sorted(world.COLORS))
    assert list(drafts) == ["Action", "Speed"] and drafts["Action"]
    turn: Counter = Counter()
    letters = []
    for draft in drafts["Action"] * 4:
        options, answer = place_options(draft, turn, rng)
        assert options[ord(answer) - ord("A")] == draft.answer and options.count(draft.answer) == 1
        letters.append(answer)
    assert len(set(letters)) > 1
    with pytest.raises(ValueError, match="scene-level"):
        scene_question_drafts(truth, MiniConfig(n_videos=1), rng, ["Frame Count"], [])


def test_the_order_questions_can_be_asked_in_the_tasks_words(world_dir, built, tmp_path):
    """``fragment_wording="tasks"`` asks Adjust or Not and Rearrangement as SF²T's disorder and
    rearrangement tasks do (a tiny model does not carry a skill to a paraphrase); the same videos,
    frames and answers, and every other item exactly as the default build."""
    from sf2t.tasks.disorder import DISORDER_OPTIONS, DISORDER_QUESTION
    from sf2t.tasks.rearrangement import REARRANGEMENT_QUESTION

    worded = build_mini(world_dir, tmp_path, n_videos=24, questions_per_video=25, fragment_wording="tasks")
    assert [it["id"] for it in worded.items] == [it["id"] for it in built.items]
    changed = 0
    for new, old in zip(worded.items, built.items, strict=True):
        assert (new["frames"], new["answer"], new["video"]) == (old["frames"], old["answer"], old["video"])
        if new["category"] == "Adjust or Not":
            assert new["question"] == DISORDER_QUESTION and new["options"] == [
                {"yes, the order is correct": "Yes", "no, the order needs adjusting": "No"}[o] for o in old["options"]
            ]
            assert list(DISORDER_OPTIONS) == ["Yes", "No"]
        elif new["category"] == "Rearrangement":
            assert new["question"] == REARRANGEMENT_QUESTION and new["options"] == old["options"]
        else:
            assert new == old
            continue
        changed += 1
    assert changed > 0
    with pytest.raises(ValueError, match="fragment_wording must be one of"):
        build_mini(world_dir, tmp_path / "bad", n_videos=2, fragment_wording="paraphrase")
