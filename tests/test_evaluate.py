"""Scoring: the extractor on the replies harnesses mishandle, letter scoring and generation,
circular evaluation, baselines, per-item records, resume after a kill, one decode per clip."""

import hashlib
import json
import shutil

import numpy as np
import pytest
import torch  # torch must load before decord: the other order segfaults in torch's forward

import sf2t.evaluate as ev
from sf2t import world
from sf2t.bench import load_bench, save_bench
from sf2t.bench.build import MiniConfig, build_items
from sf2t.evaluate import (
    aggregate,
    bootstrap_ci,
    evaluate,
    extract_letter,
    majority_baseline,
    random_baseline,
    read_done,
    rotate_item,
)
from sf2t.video import transforms
from sf2t.video.transforms import materialize

# --------------------------------------------------------------------------- extractor

FAILURE_STRINGS = [
    ("A red circle moves to the left.", None),  # a sentence starting with the article "A"
    ("The answer is (C).", "C"),
    ("A or B", None),  # several letters
    ("A, B", None),
    ("Both A and C could be right", None),
    ("", None),  # none
    ("I don't know.", None),
    ("N/A", None),
    ("c", "C"),  # lowercase
    ("the answer is c", "C"),
    ("b) it grows", "B"),
    ("C. Because the circle moves left, as frame 2 shows.", "C"),  # trailing explanation
    ("B because it grows", "B"),
    ("A because it moves", "A"),
    ("(D)", "D"),
    ("**B**", "B"),
    ("Answer: B", "B"),
    ("Option C is correct", "C"),
    ("The correct option is B, since it grows.", "B"),
    ("I think it is B.", "B"),
    ("E", None),  # not one of the options
    ("the answer is a red circle", None),
    ("B. A red circle moves", "B"),
    ("The answer is C, not A.", "C"),
]


@pytest.mark.parametrize(("text", "expected"), FAILURE_STRINGS)
def test_extractor_on_known_failure_strings(text, expected):
    assert extract_letter(text, "ABCD") == expected


def test_extractor_falls_back_to_option_text():
    options = ["it moves up", "it moves to the left", "it grows bigger", "it shrinks"]
    assert extract_letter("it moves to the left", "ABCD", options) == "B"
    assert extract_letter("it moves up or it shrinks", "ABCD", options) is None
    assert extract_letter("something else", "ABCD", options) is None


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """A small bench on real MP4s: 6 videos, 10 questions each, plus one transform item."""
    root = tmp_path_factory.mktemp("evalbench")
    videos = root / "videos"
    truths = world.generate(
        videos, 6, "bench", seed=1, config=world.WorldConfig(width=48, height=48, num_frames=16), progress=False
    )
    items = build_items(truths, MiniConfig(n_videos=6, questions_per_video=10))
    edited = dict(
        items[0],
        id="edited",
        numbered=True,
        frames={
            **items[0]["frames"],
            "transform": {"kind": "edit", "frame": 0, "op": "erase", "box": [0, 0, 8, 8], "fill": [0, 0, 0]},
        },
    )
    items.append(edited)
    save_bench(items, root / "bench.jsonl")
    loaded, skipped = load_bench(root / "bench.jsonl")
    assert not skipped
    return root, loaded


def _key(frames, prompt):
    return hashlib.sha256(frames.tobytes() + prompt.split("\n")[0].encode()).hexdigest()


class FakeModel:
    """Deterministic stand-in for a Video-LLM. On real frames it knows the answer text of
    two questions in three (by a hash of frames and question) and picks the wrong option
    otherwise; on black frames it always says the first letter. ``generate`` writes the
    chosen letter in one of the reply shapes harnesses meet, some of them unparseable."""

    family = "fake"
    REPLIES = ["{L}", "The answer is ({L}).", "{l}", "{L}. Because it is.", "A red object.", "{L} or {M}"]

    def __init__(self, answers, fail_after=None):
        self.answers = answers  # key -> answer text
        self.fail_after = fail_after
        self.calls = 0
        self.requests = 0

    def _choose(self, frames, prompt, letters):
        if not frames.any():
            return 0
        lines = prompt.split("\n")
        options = [line[3:] for line in lines[1 : 1 + len(letters)]]
        key = _key(frames, prompt)
        right = options.index(self.answers[key])
        return right if int(key, 16) % 3 else (right + 1) % len(letters)

    def _tick(self, n):
        self.calls += 1
        self.requests += n
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("killed")

    def letter_scores_batch(self, frames_list, prompts, letters_list, numbered=None, fps=None):
        self._tick(len(prompts))
        out = []
        for frames, prompt, letters in zip(frames_list, prompts, letters_list, strict=True):
            scores = np.full(len(letters), -5.0)
            scores[self._choose(frames, prompt, letters)] = -0.01
            out.append(scores)
        return out

    def generate(self, frames, prompt, max_new_tokens=16, numbered=False, fps=None):
        self._tick(1)
        letters = [line[0] for line in prompt.split("\n")[1:-1]]
        k = self._choose(frames, prompt, letters)
        template = self.REPLIES[int(_key(frames, prompt)[:8], 16) % len(self.REPLIES)]
        return template.format(L=letters[k], l=letters[k].lower(), M=letters[(k + 1) % len(letters)])


@pytest.fixture(scope="module")
def answers(bench):
    """What a perfect viewer answers: key(frames, question) -> answer text."""
    root, items = bench
    out = {}
    for it in items:
        frames = materialize(it, root)
        out[_key(frames, it["question"])] = it["options"][ord(it["answer"]) - 65]
    return out


def _strip_times(agg):
    agg = json.loads(json.dumps(agg))
    agg.pop("timestamps")
    if agg["baselines"]["blind"]:
        agg["baselines"]["blind"] = dict(agg["baselines"]["blind"])
    return agg


# --------------------------------------------------------------------------- evaluation


def test_letter_run_writes_records_and_aggregate(bench, answers, tmp_path):
    root, items = bench
    model = FakeModel(answers)
    agg = evaluate(model, items, root, tmp_path / "run", batch_size=4, progress=False)
    records = [json.loads(line) for line in (tmp_path / "run" / "items.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] != [] and {r["id"] for r in records} == {it["id"] for it in items}
    by_id = {it["id"]: it for it in items}
    for r in records:
        assert r["frame_indices"] == by_id[r["id"]]["frames"]["indices"]
        assert set(r) >= {"id", "frame_indices", "raw", "pred", "correct", "answered", "scores"}
        assert r["correct"] == (r["pred"] == by_id[r["id"]]["answer"]) and r["answered"]
    acc = np.mean([r["correct"] for r in records])
    assert agg["overall"]["accuracy"] == pytest.approx(acc, abs=1e-6)
    assert 0.4 < acc < 0.95  # the fake knows about two answers in three
    lo, hi = agg["overall"]["ci95"]
    assert lo <= acc <= hi and hi - lo > 0
    assert set(agg["categories"]) == set(ev.CATEGORIES) and set(agg["levels"]) == {"scene", "fragment"}
    assert agg["config"]["mode"] == "letters" and "commit" in agg["git"]
    blind = agg["baselines"]["blind"]["overall"]
    assert blind["accuracy"] == pytest.approx(np.mean([it["answer"] == "A" for it in items]), abs=1e-6)
    saved = json.loads((tmp_path / "run" / "aggregate.json").read_text())
    assert saved["overall"] == agg["overall"]


def test_each_clip_is_decoded_once(bench, answers, tmp_path, monkeypatch):
    root, items = bench
    calls = []
    real = transforms.read_frames
    monkeypatch.setattr(transforms, "read_frames", lambda path, idx: calls.append(path) or real(path, idx))
    evaluate(FakeModel(answers), items, root, tmp_path / "run", blind_baseline=False, progress=False)
    assert len(calls) == len({it["video"] for it in items}) < len(items)


def test_transformed_frames_match_materialize(bench):
    root, items = bench
    item = next(it for it in items if it["id"] == "edited")
    clip = ev.ClipFrames(root, item["video"], [item, items[1]], blind=False)
    assert np.array_equal(clip.for_item(item), materialize(item, root))
    assert not ev.ClipFrames(root, item["video"], [item], blind=True).for_item(item).any()


def test_killed_run_resumes_to_the_same_aggregate(bench, answers, tmp_path):
    root, items = bench
    clean = evaluate(FakeModel(answers), items, root, tmp_path / "clean", batch_size=2, progress=False)
    killed = FakeModel(answers, fail_after=12)  # after a pool or two of 16 requests were written
    with pytest.raises(RuntimeError, match="killed"):
        evaluate(killed, items, root, tmp_path / "resumed", batch_size=2, progress=False)
    done = read_done(tmp_path / "resumed" / "items.jsonl")
    assert 0 < len(done) < len(items)
    with open(tmp_path / "resumed" / "items.jsonl", "a") as fh:
        fh.write('{"id": "half-writ')  # a kill in the middle of a write
    again = FakeModel(answers)
    resumed = evaluate(again, items, root, tmp_path / "resumed", batch_size=2, progress=False)
    assert again.requests == 2 * len(items) - len(done)  # the rest, then the blind baseline
    assert _strip_times(resumed) == _strip_times(clean)
    lines = (tmp_path / "resumed" / "items.jsonl").read_text().splitlines()
    assert len(lines) == len(items) == len({json.loads(line)["id"] for line in lines})


def test_restart_with_another_config_is_refused(bench, answers, tmp_path):
    root, items = bench
    evaluate(FakeModel(answers), items[:5], root, tmp_path / "run", blind_baseline=False, progress=False)
    with pytest.raises(ValueError, match="different mode"):
        evaluate(
            FakeModel(answers), items[:5], root, tmp_path / "run", mode="generate", blind_baseline=False, progress=False
        )


def test_generation_reports_both_denominators(bench, answers, tmp_path):
    root, items = bench
    agg = evaluate(
        FakeModel(answers), items, root, tmp_path / "gen", mode="generate", blind_baseline=False, progress=False
    )
    records = read_done(tmp_path / "gen" / "items.jsonl")
    assert all(r["raw"] is not None and r["scores"] is None for r in records.values())
    unanswered = [r for r in records.values() if not r["answered"]]
    assert unanswered and all(r["pred"] is None and not r["correct"] for r in unanswered)
    o = agg["overall"]
    assert o["answered"] == len(records) - len(unanswered)
    assert o["accuracy_answered"] == pytest.approx(o["correct"] / o["answered"])
    assert o["accuracy_answered"] > o["accuracy"]


def test_circular_evaluation_defeats_a_letter_prior(bench, answers, tmp_path):
    root, items = bench

    class AlwaysA(FakeModel):
        def _choose(self, frames, prompt, letters):
            return 0

    plain = evaluate(AlwaysA(answers), items, root, tmp_path / "plain", blind_baseline=False, progress=False)
    circ = evaluate(
        AlwaysA(answers), items, root, tmp_path / "circ", circular=True, blind_baseline=False, progress=False
    )
    assert plain["overall"]["accuracy"] == pytest.approx(np.mean([it["answer"] == "A" for it in items]), abs=1e-6)
    assert circ["overall"]["accuracy"] == 0.0
    assert circ["baselines"]["majority"]["overall"] == 0.0
    oracle = evaluate(
        FakeModel(answers), items, root, tmp_path / "oracle", circular=True, blind_baseline=False, progress=False
    )
    records = read_done(tmp_path / "oracle" / "items.jsonl")
    for r in records.values():
        assert len(r["rotations"]) == len(next(it for it in items if it["id"] == r["id"])["options"])
        assert r["correct"] == all(rot["correct"] for rot in r["rotations"])
        assert len({rot["pred"] for rot in r["rotations"]}) == 1  # the same option text on every rotation
    assert oracle["overall"]["accuracy"] == pytest.approx(np.mean([r["correct"] for r in records.values()]))


def test_rotation_keeps_the_answer_text():
    item = {"options": ["w", "x", "y", "z"], "answer": "C"}
    for k in range(4):
        opts, letter = rotate_item(item, k)
        assert opts[ord(letter) - 65] == "y"


def test_baselines():
    items = [
        {
            "id": str(i),
            "level": "scene",
            "category": "Action",
            "options": ["a", "b", "c", "d"],
            "answer": "ABCB"[i % 4],
            "video": "v",
        }
        for i in range(8)
    ]
    items += [
        {
            "id": f"f{i}",
            "level": "fragment",
            "category": "Adjust or Not",
            "options": ["y", "n"],
            "answer": "A",
            "video": "v",
        }
        for i in range(4)
    ]
    rnd = random_baseline(items)
    assert rnd["categories"]["Action"] == 0.25 and rnd["categories"]["Adjust or Not"] == 0.5
    assert rnd["overall"] == pytest.approx((8 * 0.25 + 4 * 0.5) / 12, abs=1e-6)
    assert random_baseline(items, circular=True)["categories"]["Adjust or Not"] == 0.25
    maj = majority_baseline(items)
    assert maj["letters"] == {"Action": "B", "Adjust or Not": "A"}
    assert maj["categories"]["Action"] == 0.5 and maj["categories"]["Adjust or Not"] == 1.0
    assert maj["categories"]["Speed"] is None


def test_aggregate_ignores_record_order_and_bootstrap_is_seeded():
    items = [
        {"id": str(i), "level": "scene", "category": "Action", "options": ["a", "b"], "answer": "A", "video": "v"}
        for i in range(50)
    ]
    recs = {str(i): {"id": str(i), "correct": i % 3 == 0, "answered": i % 7 != 0} for i in range(50)}
    a = aggregate(items, recs)
    b = aggregate(items, dict(reversed(list(recs.items()))))
    assert a == b
    assert bootstrap_ci([1, 0, 1, 1], seed=1) == bootstrap_ci([1, 0, 1, 1], seed=1)
    assert bootstrap_ci([]) is None


def test_missing_video_is_reported_and_the_rest_evaluated(bench, answers, tmp_path):
    root, items = bench
    moved = [dict(items[0], id="lost", video="videos/not-there.mp4")] + items[1:4]
    agg = evaluate(FakeModel(answers), moved, root, tmp_path / "run", blind_baseline=False, progress=False)
    assert [s["id"] for s in agg["skipped"]] == ["lost"] and "does not exist" in agg["skipped"][0]["reason"]
    assert agg["counts"]["evaluated"] == 3


# --------------------------------------------------------------------------- a real tiny model


@pytest.mark.slow
def test_tiny_model_end_to_end_and_lora_adapter_unmerged(bench, tmp_path):
    pytest.importorskip("sf2t.models")
    from peft import LoraConfig, PeftModel, get_peft_model

    from sf2t.models import tiny

    root, items = bench
    few = items[:6]
    llm = tiny("qwen2_vl", seed=0)
    agg = evaluate(llm, few, root, tmp_path / "letters", batch_size=3, blind_baseline=False, progress=False)
    recs = read_done(tmp_path / "letters" / "items.jsonl")
    for r in recs.values():
        probs = np.exp(list(r["scores"].values()))
        assert probs.sum() == pytest.approx(1.0, abs=1e-4) and r["pred"] in r["scores"]
    assert agg["overall"]["n"] == 6
    evaluate(llm, few, root, tmp_path / "one", batch_size=1, blind_baseline=False, progress=False)
    alone = read_done(tmp_path / "one" / "items.jsonl")
    for i, r in recs.items():  # pooled, shape-sorted batches score every question as it scores alone
        assert np.allclose(list(r["scores"].values()), list(alone[i]["scores"].values()), atol=1e-4)
    gen = evaluate(
        llm, few[:2], root, tmp_path / "gen", mode="generate", max_new_tokens=4, blind_baseline=False, progress=False
    )
    assert gen["overall"]["n"] == 2 and all(
        isinstance(r["raw"], str) for r in read_done(tmp_path / "gen" / "items.jsonl").values()
    )

    # a LoRA adapter folder, evaluated through load_model without merging
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules=r".*language_model.*\.(q_proj|v_proj)")
    adapted = get_peft_model(tiny("qwen2_vl", seed=0).model, cfg)
    with torch.no_grad():
        for name, p in adapted.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    adapted.save_pretrained(tmp_path / "adapter")
    loaded = ev.load_model("tiny:qwen2_vl", adapter=str(tmp_path / "adapter"))
    assert isinstance(loaded.model, PeftModel)
    frames = materialize(few[0], root)
    prompt = ev.item_prompt(few[0])
    letters = list("ABCD"[: len(few[0]["options"])])
    base_scores = llm.letter_scores(frames, prompt, letters)
    lora_scores = loaded.letter_scores(frames, prompt, letters)
    llm.model = adapted
    assert np.allclose(lora_scores, llm.letter_scores(frames, prompt, letters), atol=1e-5)
    assert not np.allclose(lora_scores, base_scores, atol=1e-4)


@pytest.mark.slow
def test_cli_evaluates_a_tiny_model(bench, tmp_path, capsys):
    from sf2t.cli import main

    root, _ = bench
    out = tmp_path / "cli"
    args = ["evaluate", "--model", "tiny:llava_onevision", "--bench", str(root / "bench.jsonl"), "--out", str(out)]
    threads = torch.get_num_threads()
    try:
        assert main([*args, "--limit", "4", "--batch-size", "2", "--threads", "1"]) == 0
    finally:
        torch.set_num_threads(threads)
    agg = json.loads((out / "aggregate.json").read_text())
    assert agg["overall"]["n"] == 4 and agg["baselines"]["blind"]["overall"]["n"] == 4
    assert agg["config"]["model"] == "tiny:llava_onevision" and agg["config"]["limit"] == 4
    assert "Frame Count" in capsys.readouterr().out


# --------------------------------------------------------------------------- cloze formulations


def test_each_normalisation_picks_the_option_its_definition_says():
    """Known option log-probabilities: none takes the largest sum, token the largest per token,
    char the largest per character, pmi the largest gain over the blind score."""
    from sf2t.evaluate import choice

    cloze = {"logprob": [-6.0, -4.0, -9.0], "tokens": [3, 1, 9], "chars": [20, 2, 60]}
    blind = {"logprob": [-9.0, -3.0, -9.5]}
    assert choice("cloze_none", cloze) == 1  # -4 is the largest sum
    assert choice("cloze_token", cloze) == 2  # -1.0 per token beats -2.0 and -4.0
    assert choice("cloze_char", cloze) == 2  # -0.15 per character beats -0.3 and -2.0
    assert choice("pmi", cloze, blind) == 0  # +3 over blind beats -1 and +0.5
    assert choice("pmi", cloze, None) is None
    with pytest.raises(ValueError, match="formulation"):
        choice("letters", cloze)


class ClozeModel(FakeModel):
    """Scores option texts: on real frames the answer text gets the highest score two times in
    three; on black frames every option scores by its length only."""

    def option_scores(self, frames_list, prompts, options_list, numbered=None, fps=None):
        self._tick(len(prompts))
        out = []
        for frames, prompt, options in zip(frames_list, prompts, options_list, strict=True):
            assert "\n" not in prompt  # the question alone: no option list, no letter instruction
            if not frames.any():
                out.append([(-0.5 * len(o), 2) for o in options])
                continue
            key = _key(frames, prompt + "\n")
            right = options.index(self.answers[key]) if key in self.answers else 0
            pick = right if int(key, 16) % 3 else (right + 1) % len(options)
            out.append([(-0.01 if k == pick else -5.0 - k, 2 + k) for k in range(len(options))])
        return out


def test_cloze_records_recompute_every_formulation_of_the_aggregate(bench, tmp_path):
    from sf2t.evaluate import FORMULATIONS, choice_letter

    root, items = bench
    answers = {}
    for it in items:
        frames = ev.ClipFrames(root, it["video"], [it], blind=False).for_item(it)
        answers[_key(frames, it["question"] + "\n")] = it["options"]["ABCD".index(it["answer"])]
    agg = evaluate(ClozeModel(answers), items, root, tmp_path / "run", mode="cloze", progress=False)
    records = read_done(tmp_path / "run" / "items.jsonl")
    blind = read_done(tmp_path / "run" / "blind" / "items.jsonl")
    assert set(agg["formulations"]["overall"]) == set(FORMULATIONS)
    for name in FORMULATIONS:
        right = [choice_letter(name, records[i["id"]]["cloze"], blind[i["id"]]["cloze"]) == i["answer"] for i in items]
        assert agg["formulations"]["overall"][name] == round(float(np.mean(right)), 6)
    assert agg["overall"]["accuracy"] == agg["formulations"]["overall"]["cloze_char"]  # the default normalisation
    assert all(len(r["cloze"]["logprob"]) == len(r["cloze"]["chars"]) for r in records.values())
    with pytest.raises(ValueError, match="cloze scores option texts"):
        evaluate(ClozeModel(answers), items, root, tmp_path / "c", mode="cloze", circular=True, progress=False)


# --------------------------------------------------------------------------- hostile items, partial runs (issue 13)


def _hostile(items):
    """Items that crashed evaluation (defect 2), each on the same video as good items."""
    base = items[0]

    def frames(**over):
        return {**base["frames"], **over}

    paste = {"kind": "paste", "source": {"video": "../x.mp4", "index": 0, "box": [0, 0, 4, 4]}, "at": [0, 0]}
    return [
        dict(base, id="nan-speed", frames=frames(speed=float("nan"))),
        dict(base, id="inf-meta", meta={"x": float("inf")}),
        dict(base, id="surrogate", question="What \ud800 happens?"),
        dict(base, id="frame-1e30", frames=frames(indices=[0, 10**30])),
        dict(base, id="unknown-kind", frames=frames(transform={"kind": "warp"})),
        dict(
            base,
            id="box-outside",
            frames=frames(
                transform={"kind": "edit", "frame": 0, "op": "erase", "box": [40, 40, 60, 60], "fill": [0, 0, 0]}
            ),
        ),
        dict(base, id="paste-escape", frames=frames(transform={**paste, "frames": [0]})),
        dict(base, id="frame-99", frames=frames(indices=[0, 99])),
        dict(base, id=items[1]["id"]),  # a repeated id
    ]


HOSTILE_IDS = [
    "nan-speed",
    "inf-meta",
    "surrogate",
    "frame-1e30",
    "unknown-kind",
    "box-outside",
    "paste-escape",
    "frame-99",
    "repeated-id",
]


@pytest.mark.parametrize("which", range(len(HOSTILE_IDS)), ids=HOSTILE_IDS)
def test_a_hostile_item_is_skipped_and_a_rerun_skips_it_again(bench, answers, tmp_path, which):
    """Defect 2: each of these crashed the run (and every rerun, on the same item); now the
    run evaluates the rest and names the item in the aggregate's ``skipped``."""
    root, items = bench
    good = items[:4]
    hostile = _hostile(items)[which]
    for attempt in range(2):
        agg = evaluate(FakeModel(answers), [*good, hostile], root, tmp_path / "run", batch_size=2, progress=False)
        assert [s["id"] for s in agg["skipped"]] == [hostile["id"]], attempt
        assert agg["counts"] == {**agg["counts"], "evaluated": 4, "skipped": 1, "total": 5}
        assert set(read_done(tmp_path / "run" / "items.jsonl")) == {it["id"] for it in good}


def test_hostile_items_are_named_with_their_reasons(bench, answers, tmp_path):
    root, items = bench
    good = items[:4]
    hostile = _hostile(items)
    agg = evaluate(FakeModel(answers), good + hostile, root, tmp_path / "run", batch_size=2, progress=False)
    skipped = {s["id"]: s for s in agg["skipped"]}
    assert set(skipped) == {h["id"] for h in hostile}
    assert agg["counts"] == {**agg["counts"], "evaluated": 4, "skipped": 9, "total": 13}
    assert skipped["frame-99"]["kind"] == "video cannot be decoded" and "16 frames" in skipped["frame-99"]["reason"]
    assert skipped["box-outside"]["kind"] == "frames cannot be made" and "48x48" in skipped["box-outside"]["reason"]
    assert "lone surrogate" in skipped["surrogate"]["reason"] and "finite" in skipped["nan-speed"]["reason"]
    assert "duplicate id" in skipped[items[1]["id"]]["reason"]
    json.loads((tmp_path / "run" / "aggregate.json").read_text())  # written, and valid JSON


def test_the_progress_bar_counts_only_what_was_evaluated(bench, answers, tmp_path, capsys):
    """Defect 10: 17 of 21 undecodable items showed a 21/21 bar."""
    root, items = bench
    evaluate(FakeModel(answers), items[:4] + _hostile(items)[-2:-1], root, tmp_path / "run", blind_baseline=False)
    err = capsys.readouterr().err
    assert "4/4" in err and "skipped=1" in err and "5/5" not in err


class BatchSensitiveModel(FakeModel):
    """A model whose scores move with the other questions of their batch, as float rounding
    moves a real model's (by 1e-3 here, so that the rounding of the records keeps it)."""

    def letter_scores_batch(self, frames_list, prompts, letters_list, numbered=None, fps=None):
        scores = super().letter_scores_batch(frames_list, prompts, letters_list, numbered, fps)
        batch = int(hashlib.sha256("|".join(prompts).encode()).hexdigest()[:6], 16) % 97
        return [s + 1e-3 * batch for s in scores]


def test_a_resumed_run_scores_every_question_in_the_batch_of_an_uninterrupted_one(bench, answers, tmp_path):
    """Defect 11: a resumed run pooled only the questions left, so their batches (and the last
    digits of their scores) differed from an uninterrupted run's. Batches are fixed by the items
    and the batch size now: a run killed in the middle of writing a pool resumes to the same
    records, byte for byte."""
    root, items = bench
    clean = tmp_path / "clean"
    evaluate(BatchSensitiveModel(answers), items, root, clean, batch_size=2, blind_baseline=False, progress=False)
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    (resumed / "config.json").write_text((clean / "config.json").read_text())
    lines = (clean / "items.jsonl").read_text().splitlines(keepends=True)
    (resumed / "items.jsonl").write_text("".join(lines[:15]))  # the first pool holds 21 questions
    evaluate(BatchSensitiveModel(answers), items, root, resumed, batch_size=2, blind_baseline=False, progress=False)
    assert read_done(resumed / "items.jsonl") == read_done(clean / "items.jsonl")
    with pytest.raises(ValueError, match="different batch_size"):  # other batches, other last digits
        evaluate(BatchSensitiveModel(answers), items, root, resumed, batch_size=3, blind_baseline=False)


def test_a_second_writer_and_a_restart_during_a_run_are_refused(bench, answers, tmp_path):
    """Defect 6: two evaluations into one folder (or a --restart under a running one) both ran."""
    from filelock import FileLock

    from sf2t.common.locks import lock_path
    from sf2t.evaluate.lock import OutputFolderBusy

    root, items = bench
    out = tmp_path / "run"
    evaluate(FakeModel(answers), items[:3], root, out, blind_baseline=False, progress=False)
    assert not list(out.rglob("*.lock"))  # a finished folder holds only what the run wrote
    before = (out / "items.jsonl").read_bytes()
    with FileLock(lock_path(out), timeout=0):  # another run holds the folder
        for resume in (True, False):
            with pytest.raises(OutputFolderBusy, match="being written by another evaluation"):
                evaluate(FakeModel(answers), items[:3], root, out, resume=resume, progress=False)
    assert (out / "items.jsonl").read_bytes() == before


# --------------------------------------------------------------------------- the command line (issue 13)


@pytest.fixture()
def cli_run(bench, answers, monkeypatch):
    """`sf2t evaluate` with the fake model; returns (exit code, stdout, stderr)."""
    from sf2t.cli import main

    monkeypatch.setattr("sf2t.evaluate.cli.load_model", lambda *a, **k: FakeModel(answers))

    def run(capsys, *args):
        code = main(["evaluate", "--model", "fake", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_a_partial_evaluation_is_loud_and_fails_below_the_stated_share(bench, cli_run, tmp_path, capsys):
    """Defect 10: 17 of 21 items undecodable gave exit status 0."""
    root, items = bench
    copy = tmp_path / "bench"
    shutil.copytree(root / "videos", copy / "videos")
    (copy / "bench.jsonl").write_text((root / "bench.jsonl").read_text())
    videos = sorted({it["video"] for it in items})
    for video in videos[1:]:
        (copy / video).write_bytes(b"not a video")
    args = ["--bench", str(copy / "bench.jsonl"), "--out", str(tmp_path / "run")]
    code, out, err = cli_run(capsys, *args)
    n_good = sum(it["video"] == videos[0] for it in items)
    assert code == 1 and "Frame Count" in out
    assert f"skipped {len(items) - n_good} of {len(items)} items:" in err
    assert f"  {len(items) - n_good} failed the check against its video" in err and "cannot be read" in err
    assert f"sf2t evaluate: evaluated {n_good} of {len(items)} items" in err and "--min-evaluated 0.5" in err
    code, _, err = cli_run(capsys, *args, "--min-evaluated", "0.1")
    assert code == 0 and "skipped" in err  # the skipped items are listed either way


def test_cli_nothing_evaluated_fails(bench, cli_run, tmp_path, capsys):
    """Defect 10: `--videos /nope` evaluated 0 items and exited 0."""
    root, _ = bench
    bench_file = str(root / "bench.jsonl")
    code, _, err = cli_run(capsys, "--bench", bench_file, "--out", str(tmp_path / "a"), "--videos", "/nope")
    assert code == 2 and err.strip() == "sf2t evaluate: --videos /nope is not a folder"
    (tmp_path / "empty").mkdir()
    code, _, err = cli_run(
        capsys, "--bench", bench_file, "--out", str(tmp_path / "b"), "--videos", str(tmp_path / "empty")
    )
    assert code == 1 and "  61 missing video" in err and "evaluated 0 of 61 items" in err


def test_cli_skips_hostile_lines_and_names_them(bench, cli_run, tmp_path, capsys):
    root, items = bench
    bench_file = root / "hostile.jsonl"
    good = [json.dumps(it) for it in items[:4]]
    bad = ['{"id": "nan", "frames": {"speed": NaN}}', json.dumps(dict(items[5], id="../../PWNED"))]
    bench_file.write_text("\n".join(good + bad) + "\n")
    code, _, err = cli_run(capsys, "--bench", str(bench_file), "--out", str(tmp_path / "run"))
    agg = json.loads((tmp_path / "run" / "aggregate.json").read_text())
    assert code == 0 and agg["counts"]["evaluated"] == 4
    assert [(s["line"], s["kind"]) for s in agg["skipped"]] == [(5, "malformed line"), (6, "invalid item")]
    assert "e.g. line 5" in err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--limit", "-1"], "--limit must be at least 1, got -1"),
        (["--threads", "-1"], "--threads must be at least 1, got -1"),
        (["--max-new-tokens", "0"], "--max-new-tokens must be at least 1, got 0"),
        (["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
        (["--min-evaluated", "1.5"], "--min-evaluated must be a share between 0 and 1, got 1.5"),
    ],
)
def test_cli_bad_arguments_are_one_line_and_exit_2(bench, cli_run, tmp_path, capsys, flags, said):
    """Defect 12 for `sf2t evaluate`."""
    root, _ = bench
    code, _, err = cli_run(capsys, "--bench", str(root / "bench.jsonl"), "--out", str(tmp_path / "run"), *flags)
    assert code == 2 and err.strip() == f"sf2t evaluate: {said}" and not (tmp_path / "run").exists()


def test_cli_out_a_file_and_a_busy_folder_are_one_line_and_exit_2(bench, cli_run, tmp_path, capsys):
    from filelock import FileLock

    from sf2t.common.locks import lock_path

    root, _ = bench
    bench_file = str(root / "bench.jsonl")
    (tmp_path / "a_file").write_text("x")
    code, _, err = cli_run(capsys, "--bench", bench_file, "--out", str(tmp_path / "a_file"))
    assert (
        code == 2 and err.strip() == f"sf2t evaluate: --out {tmp_path / 'a_file'} is a file; give a folder for the run"
    )
    (tmp_path / "busy").mkdir()
    with FileLock(lock_path(tmp_path / "busy"), timeout=0):
        code, _, err = cli_run(capsys, "--bench", bench_file, "--out", str(tmp_path / "busy"), "--limit", "2")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "being written by another evaluation" in err
