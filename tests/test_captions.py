"""Coarse caption questions (the base stage's data): fixed-order kinds and class balancing."""

from collections import Counter

from sf2t import world
from sf2t.world.captions import COARSE_ACTIONS, balance_coarse, caption_records, coarse_action


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
