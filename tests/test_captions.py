"""Coarse caption questions (the base stage's data): fixed-order kinds and class balancing."""

from collections import Counter

from sf2t import world
from sf2t.world import WorldConfig, render_video
from sf2t.world.captions import (
    COARSE_ACTIONS,
    POSITION_FRAMES,
    balance_coarse,
    caption_records,
    coarse_action,
    position_words,
)


def _truths(n):
    return [
        {"id": f"v{i}", "seed": i, "action": a, "num_frames": 16, "objects": [{"color": "red", "shape": "circle"}],
         "actor": 0, "video": f"videos/v{i}.mp4"}
        for i, a in enumerate(n)
    ]


def test_balance_repeats_rare_groups_up_to_the_largest():
    truths = _truths(["move_left"] * 5 + ["rotate"] + ["grow", "shrink"])
    drawn = balance_coarse(truths, seed=0)
    counts = Counter(coarse_action(t["action"]) for t, _ in drawn)
    assert set(counts.values()) == {5} and len(counts) == 3  # absent groups stay absent
    assert Counter(t["id"] for t, r in drawn if r == 0) == Counter(t["id"] for t in truths)
    assert drawn == balance_coarse(truths, seed=0)


def test_fixed_kinds_list_every_class_in_one_order_and_balanced_records_have_unique_ids():
    truths = _truths(["move_left", "move_up", "change_color", "appear"])
    records = caption_records(truths, kinds=["happening_fixed", "colour_fixed", "happening"], balance=True)
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        if r["task"] == "caption_happening_fixed":
            assert r["options"] == list(COARSE_ACTIONS)
            assert r["options"][ord(r["answer"]) - ord("A")] == r["meta"]["answer_text"]
        if r["task"] == "caption_colour_fixed":
            assert r["options"] == list(world.COLORS) and r["options"][ord(r["answer"]) - ord("A")] == "red"
    fixed = Counter(r["meta"]["answer_text"] for r in records if r["task"] == "caption_happening_fixed")
    assert fixed == {"something moves": 2, "something changes colour": 2, "something appears or disappears": 2}


def test_position_captions_name_each_shown_frame_in_the_order_shown_and_leave_other_kinds_alone():
    actions = tuple(a for a in world.ACTIONS if a != "collide")
    cfg = WorldConfig(width=64, height=64, num_frames=16, backgrounds=("plain",), max_objects=1, actions=actions)
    truths = [render_video(seed, cfg)[1] for seed in range(12)]
    records = caption_records(truths, kinds=["object", "position"], answer_form="text", seed=3)
    assert [r for r in records if r["task"] == "caption_object"] == caption_records(
        truths, kinds=["object"], answer_form="text", seed=3
    )
    position = [r for r in records if r["task"] == "caption_position"]
    assert len(position) == 12 and {r["numbered"] for r in position} == {True, False}
    shuffled = 0
    for r, truth in zip(position, truths, strict=True):
        shown = r["frames"]["indices"]
        assert len(shown) == POSITION_FRAMES and len(set(shown)) == POSITION_FRAMES
        shuffled += shown != sorted(shown)
        words = [position_words(truth["boxes"][i][truth["actor"]], 64, 64) for i in shown]
        assert r["answer"] == ", ".join(words) and r["answer"] in r["options"]
        assert len(set(r["options"])) == 4
        for other in r["options"]:  # a distractor differs in exactly one frame's bin
            assert other == r["answer"] or sum(a != b for a, b in zip(other.split(", "), words, strict=True)) == 1
    assert 0 < shuffled < 12
    assert position_words([0, 0, 16, 16], 64, 64) == "x 1 y 1" and position_words(None, 64, 64) == "none"


def test_position_captions_always_show_the_actor_once_and_the_default_kinds_stay_coarse():
    boxes = [[None]] * 15 + [[[40, 8, 52, 20]]]
    truth = {"id": "v0", "seed": 0, "video": "videos/v0.mp4", "width": 64, "height": 64, "num_frames": 16,
             "objects": [{"color": "red", "shape": "circle"}], "actor": 0, "action": "appear", "boxes": boxes}
    for seed in range(20):
        (record,) = caption_records([truth], kinds=["position"], seed=seed, answer_form="text")
        assert 15 in record["frames"]["indices"] and "x 5 y 1" in record["answer"]
    assert {r["task"] for r in caption_records(_truths(["move_left"]))} == {
        "caption_object", "caption_happening", "caption_colour_fixed", "caption_happening_fixed"}
