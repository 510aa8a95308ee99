"""The experiment library: profiles, the plan, the SFT record builder, the leakage check, the
statistics, and the competence gate stopping a run."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from sf2t import world
from sf2t.common.records import read_jsonl, write_jsonl
from sf2t.experiment import TASKS, ProfileError, Run, load_profile, plan_runs
from sf2t.experiment.bases import CompetenceError, gate, gate_message
from sf2t.experiment.data import sf2t_samples, sft_records
from sf2t.experiment.leakage import LeakageError, check_no_leakage
from sf2t.experiment.profiles import CONFIG_DIR
from sf2t.experiment.runner import run_experiment
from sf2t.experiment.stats import seed_mean_ci, sign_flip_test

PROFILES = ("quick", "mini", "full", "paper")


@pytest.fixture(scope="module")
def labelled_dir(tmp_path_factory, world_config):
    out = tmp_path_factory.mktemp("labelled")
    world.generate(out, 6, "labelled", seed=0, config=world_config, progress=False)
    return out


@pytest.mark.parametrize("name", PROFILES)
def test_every_shipped_profile_is_valid_and_names_its_files(name):
    profile = load_profile(name)
    assert profile.name == name and f"configs/experiment/{name}.json" in profile.source
    assert len(profile.families) >= (2 if name == "quick" else 4)
    assert profile.competence_gate["min_accuracy"]


def test_mini_runs_every_family_in_every_setting_with_the_positive_control_and_several_seeds_on_two():
    profile = load_profile("mini")
    runs = plan_runs(profile)
    for family in profile.families:
        assert {r.setting for r in runs if r.family == family} == {"base", "sft", "sf2t", "sft_sf2t", "control"}
    assert sum(len(profile.seeds_for(f)) >= 2 for f in profile.families) >= 2  # full fine-tuning: 2 fit mini's time
    assert all(len(load_profile("full").seeds_for(f)) >= 3 for f in profile.families)


def test_full_borrows_the_committed_mini_bases_and_refuses_to_retrain_them(tmp_path):
    from sf2t.experiment.bases import base_inputs, check_borrowed_base
    from sf2t.experiment.paths import Paths

    full = load_profile("full")
    paths = Paths.of(CONFIG_DIR.parents[1] / "results", full)
    assert paths.bases.name == "mini" and paths.results.name == "full"
    for family in full.families:  # the committed bases were trained on exactly full's base inputs
        check_borrowed_base(full, paths.bases / family, base_inputs(full, family), from_scratch=False)
    changed = load_profile("full", {"world_seed": 1})
    with pytest.raises(ProfileError, match="borrows .*mini/qwen2_vl.*differ"):
        check_borrowed_base(changed, paths.bases / "qwen2_vl", base_inputs(changed, "qwen2_vl"), False)
    with pytest.raises(ProfileError, match="from_scratch would retrain it"):
        check_borrowed_base(full, paths.bases / "qwen2_vl", base_inputs(full, "qwen2_vl"), True)
    with pytest.raises(ProfileError, match="not trained yet"):
        check_borrowed_base(full, tmp_path / "qwen2_vl", base_inputs(full, "qwen2_vl"), False)


def test_overrides_use_dotted_keys_and_child_profiles_replace_seed_maps():
    quick = load_profile("quick", {"base.default.steps": 7, "families": ["qwen2_vl"]})
    assert quick.base_recipe("qwen2_vl")["steps"] == 7 and quick.families == ["qwen2_vl"]
    assert quick.base_recipe("qwen2_vl")["curriculum"] is None  # mini's 3,000-step curriculum is not inherited
    assert quick.seeds_per_family == {}  # not merged with mini's map
    assert quick.base_recipe("qwen2_vl")["lr"] == load_profile("mini").base_recipe("qwen2_vl")["lr"]  # inherited


def test_bad_profiles_are_refused_with_the_file_and_every_problem(tmp_path):
    with pytest.raises(ProfileError, match="unknown families.*no_such_family"):
        load_profile("quick", {"families": ["no_such_family"]})
    with pytest.raises(ProfileError, match="on_fail"):
        load_profile("quick", {"competence_gate.on_fail": "ignore"})
    with pytest.raises(ProfileError, match="sf2t.tasks: task options of 'disorder'"):
        load_profile("quick", {"sf2t.tasks": {"disorder": {"spred": "full"}}})
    assert load_profile("quick", {"sf2t.tasks": {"disorder": {"spread": "full"}}}).sf2t["tasks"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"extends": "mini", "famlies": []}')
    with pytest.raises(ProfileError, match=r"bad\.json.*unknown profile field"):
        load_profile(bad, config_dir=CONFIG_DIR)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ProfileError, match=r"broken\.json: not valid JSON"):
        load_profile(tmp_path / "broken.json")


def test_plan_has_one_base_per_family_and_the_ablation_leaves_out_each_task_once():
    profile = load_profile("quick")
    runs = plan_runs(profile)
    ids = [r.id for r in runs]
    assert len(ids) == len(set(ids))
    bases = [r for r in runs if r.setting == "base"]
    assert [b.family for b in bases] == profile.families and all(b.seed is None for b in bases)
    ablation = [r for r in runs if r.drop_task]
    assert sorted(r.drop_task for r in ablation) == sorted(TASKS)
    assert all(r.family == profile.ablation["family"] and r.setting == "sf2t" for r in ablation)
    assert Run("qwen2_vl", "sf2t", 1, "counting").id == "qwen2_vl/sf2t-no_counting/seed1"


def test_sft_records_are_scene_level_questions_on_labelled_videos_only(labelled_dir, world_dir):
    truths = world.load_truth(labelled_dir)
    records = sft_records(truths, 3, seed=0)
    assert records and len(records) <= 3 * len(truths)
    assert {r["meta"]["category"] for r in records} <= {"Action", "Effect", "Speed"}
    for r in records:
        assert r["answer"] in "ABCDEF"[: len(r["options"])]
        assert r["options"][ord(r["answer"]) - 65] == r["meta"]["answer_text"]
        assert (labelled_dir / r["video"]).is_file()
    assert records == sft_records(truths, 3, seed=0)  # deterministic
    assert records != sft_records(truths, 3, seed=1)
    with pytest.raises(ValueError, match="labelled-split videos only"):
        sft_records(world.load_truth(world_dir), 3, seed=0)


def test_leakage_check_passes_clean_data_and_catches_a_bench_video(tmp_path, labelled_dir, world_dir):
    records = sft_records(world.load_truth(labelled_dir), 2, seed=0)
    write_jsonl(tmp_path / "sft.jsonl", records)
    assert check_no_leakage([(tmp_path / "sft.jsonl", labelled_dir)], world_dir)["leaks"] == 0
    with pytest.raises(LeakageError, match="benchmark world"):
        check_no_leakage([(tmp_path / "sft.jsonl", world_dir)], world_dir)
    # a training folder that smuggled in a copy of a bench video
    sneaky = tmp_path / "sneaky"
    shutil.copytree(labelled_dir, sneaky)
    bench_truth = world.load_truth(world_dir)[0]
    shutil.copy(world_dir / bench_truth["video"], sneaky / bench_truth["video"])
    with open(sneaky / "index.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(bench_truth) + "\n")
    write_jsonl(tmp_path / "leak.jsonl", [{**records[0], "id": "x", "video": bench_truth["video"]}])
    with pytest.raises(LeakageError, match=f"benchmark video {bench_truth['id']}"):
        check_no_leakage([(tmp_path / "leak.jsonl", sneaky)], world_dir)


def test_sf2t_samples_can_leave_one_task_out(labelled_dir):
    records, line = sf2t_samples(labelled_dir, "qwen2_vl", 20, seed=0, drop_task="counting")
    assert records and "counting" not in {r["task"] for r in records} and "wrote" in line
    with pytest.raises(ValueError, match="cannot leave out"):
        sf2t_samples(labelled_dir, "qwen2_vl", 5, seed=0, drop_task="juggling")


def test_balanced_accuracy_exposes_a_model_that_always_gives_the_majority_answer():
    from sf2t.experiment.competence import summarise_outcomes

    rows = [("moves", True, 4)] * 6 + [(cls, False, 4) for cls in ("turns", "grows", "recolours", "appears", "x", "y")]
    c = summarise_outcomes(rows)
    assert c["accuracy"] == 0.5 and c["balanced_accuracy"] == pytest.approx(1 / 7) and c["majority_share"] == 0.5
    assert c["chance"] == 0.25 and c["classes"] == 7 and c["n"] == 12


def test_sign_flip_test_and_seed_intervals():
    rng = np.random.default_rng(0)
    assert sign_flip_test(np.ones(30), 2000, rng) < 0.01
    assert sign_flip_test(np.zeros(30), 2000, rng) == 1.0
    mean, lo, hi = seed_mean_ci([0.5, 0.6, 0.7])
    assert mean == pytest.approx(0.6) and lo < 0.6 < hi and hi - 0.6 == pytest.approx(4.303 * 0.1 / np.sqrt(3))
    assert seed_mean_ci([0.4]) == (0.4, 0.4, 0.4)


def test_gate_names_the_family_and_the_question_kind_that_fall_short():
    profile = load_profile("quick", {"competence_gate.min_accuracy": {"caption_object": 0.6},
                                     "competence_gate.metric": "balanced_accuracy"})
    ok = {"caption_object": {"accuracy": 0.9, "balanced_accuracy": 0.9, "chance": 0.25, "n": 10}}
    weak = {"caption_object": {"accuracy": 0.7, "balanced_accuracy": 0.3, "chance": 0.25, "n": 10}}
    verdict = gate(profile, {"qwen2_vl": ok, "llava_onevision": weak})
    assert not verdict["passed"] and verdict["families"]["qwen2_vl"]["passed"]
    message = gate_message(verdict, profile)
    assert "llava_onevision: caption_object balanced_accuracy 0.300 < required 0.6" in message
    assert "qwen2_vl:" not in message
    plain = load_profile("quick", {"competence_gate.min_accuracy": {"caption_object": 0.6},
                                   "competence_gate.metric": "accuracy"})
    assert gate(plain, {"qwen2_vl": ok, "llava_onevision": weak})["passed"]
    unsure = {"caption_object": {**ok["caption_object"], "ci95_low": 0.2}}  # accurate enough, CI reaches chance
    verdict = gate(plain, {"qwen2_vl": unsure})
    assert not verdict["passed"] and "not above chance 0.25" in gate_message(verdict, plain)


@pytest.mark.slow
def test_experiment_stops_at_the_competence_gate_before_any_fine_tuning(tmp_path):
    profile = load_profile("quick", {
        "families": ["qwen2_vl"], "ablation.family": None, "base.default.steps": 2,
        "videos": {
            "base": 4, "train": 4, "labelled": 3, "heldout": 3, "bench": 3, "fragment_base": 3, "fragment_heldout": 3,
        },
        "competence_gate": {"min_accuracy": {"caption_object": 1.01 - 0.01}, "on_fail": "stop"},
    })
    with pytest.raises(CompetenceError, match="qwen2_vl: caption_object balanced_accuracy .* < required 1.0"):
        run_experiment(profile, tmp_path, log=lambda msg: None)
    results = tmp_path / "experiment" / "quick"
    assert not json.loads((results / "competence.json").read_text())["passed"]
    assert not (tmp_path / "cache" / "experiment" / "quick" / "finetune").exists()
    assert not (results / "summary.json").exists()
    # the base is kept where it can be committed: relative paths, no optimizer checkpoints
    base = tmp_path / "bases" / "quick" / "qwen2_vl"
    outputs = json.loads((base / "stage.json").read_text())["outputs"]
    assert not outputs["model_dir"].startswith("/") and (base / outputs["model_dir"] / "config.json").is_file()
    assert not list(base.glob("stage-*/checkpoints"))


def test_summary_pairs_items_and_seeds_and_finds_a_planted_gain(tmp_path):
    from sf2t.experiment.paths import write_json, write_jsonl_gz
    from sf2t.experiment.stats import run_file, summarise

    profile = load_profile("quick", {"families": ["qwen2_vl"], "seeds": [0, 1, 2], "ablation.family": None})
    items = [{"id": f"q{i}", "level": "scene" if i % 2 else "fragment", "category": "Action" if i % 2 else
              "Frame Count", "answer": "A", "options": ["a", "b", "c", "d"], "video": "v.mp4"} for i in range(40)]
    planted = {"base": 0.25, "sft": 0.25, "sf2t": 0.75, "sft_sf2t": 0.75, "control": 0.25}  # share answered right
    runs = plan_runs(profile)
    for run in runs:
        right = int(planted[run.setting] * len(items))
        recs = [{"id": it["id"], "level": it["level"], "category": it["category"], "answer": "A",
                 "pred": "A" if k < right else "B", "correct": k < right, "speed": None, "order": "original",
                 "n_frames": 8} for k, it in enumerate(items)]
        write_jsonl_gz(run_file(tmp_path, run).with_suffix(".items.jsonl.gz"), recs)
        write_json(run_file(tmp_path, run).with_suffix(".json"), {"blind": None})
    write_json(tmp_path / "competence.json", {"passed": True, "on_fail": "stop", "min_accuracy": {},
                                         "families": {"qwen2_vl": {"competence": {}}}})
    summary = summarise(tmp_path, runs, items, profile)
    overall = {r["setting"]: r for r in summary["main"] if r["level"] == "all"}
    assert overall["sf2t"]["mean"] == 0.75 and overall["sf2t"]["n_seeds"] == 3
    assert overall["sf2t"]["ci_low"] == overall["sf2t"]["ci_high"] == 0.75  # identical seeds: no spread
    assert overall["base"]["ci_kind"] == "items (bootstrap)" and overall["base"]["ci_low"] < 0.25
    gain = next(r for r in summary["comparisons"] if (r["a"], r["b"], r["level"]) == ("sf2t", "base", "all"))
    assert gain["diff"] == 0.5 and gain["p_value"] < 0.001 and gain["diff_ci_low"] > 0.3
    no_gain = next(r for r in summary["comparisons"] if (r["a"], r["b"], r["level"]) == ("sft", "base", "all"))
    assert no_gain["diff"] == 0.0 and no_gain["p_value"] == 1.0
    d = np.array([1.0] * 20 + [0.0] * 20)  # items 10-29 are right after SF²T only
    assert gain["mde"] == round((1.959964 + 0.841621) * d.std(ddof=1) / np.sqrt(40), 6)  # 80% power, α 0.05
    assert no_gain["mde"] == 0.0  # identical answers: no spread
    assert summary == summarise(tmp_path, runs, items, profile)  # deterministic


def _user_data(tmp_path, world_config):
    """The user's own data as a researcher brings it: a folder of plain videos (no ground truth),
    a labelled JSONL in the shared record shape, and a FineVidBench file with its videos."""
    from sf2t.bench.build import build_mini

    raw = tmp_path / "raw"
    world.generate(raw / "train", 4, "train", seed=5, config=world_config, progress=False)
    world.generate(raw / "labelled", 3, "labelled", seed=5, config=world_config, progress=False)
    world.generate(raw / "bench", 3, "bench", seed=5, config=world_config, progress=False)
    videos = tmp_path / "my_videos"
    videos.mkdir()
    for mp4 in sorted((raw / "train").glob("*.mp4")):
        shutil.copy(mp4, videos / mp4.name)
    write_jsonl(tmp_path / "my_sft.jsonl", sft_records(world.load_truth(raw / "labelled"), 2, seed=0))
    built = build_mini(raw / "bench", tmp_path / "my_bench", n_videos=3, questions_per_video=8, seed=0)
    return {
        "train_videos": str(videos),
        "sft": {"path": str(tmp_path / "my_sft.jsonl"), "root": str(raw / "labelled")},
        "bench": {"path": str(built.path)},
    }, built


@pytest.mark.slow
def test_the_users_own_videos_and_files_replace_the_synthetic_splits(tmp_path, world_config):
    data, built = _user_data(tmp_path, world_config)
    overrides = {
        "families": ["qwen2_vl"], "settings": ["base", "sft", "sf2t"], "seeds": [0], "ablation.family": None,
        "base.default.steps": 2, "finetune.steps": 2, "sf2t.n_samples": 8, "bench.eval_per_category": 1,
        "videos": {"base": 4, "heldout": 3}, "data": data, "fragment_world": {},
    }
    profile = load_profile("quick", overrides)
    assert profile.replaced_splits() == {"train", "labelled", "bench"}
    summary = run_experiment(profile, tmp_path / "results", log=lambda msg: None)
    worlds = tmp_path / "results" / "cache" / "experiment" / "quick" / "worlds"
    assert sorted(p.name for p in worlds.iterdir() if p.is_dir()) == ["base", "heldout"]  # nothing else generated
    assert {r["setting"] for r in summary["main"]} == {"base", "sft", "sf2t"}
    leak = json.loads((tmp_path / "results" / "experiment" / "quick" / "leakage.json").read_text())
    assert leak["bench_videos"] == len({it["video"] for it in built.items}) and leak["leaks"] == 0
    assert len(leak["bench_videos_sha256"]) == leak["bench_videos"]  # the hashes, to recheck from the file alone
    assert len(leak["training_videos_sha256"]) == leak["training_videos_hashed"]
    assert not set(leak["bench_videos_sha256"]) & set(leak["training_videos_sha256"])
    stats = json.loads((tmp_path / "results" / "experiment" / "quick" / "bench_stats.json").read_text())
    assert len(stats["bench_file_sha256"]) == 64 and "nox -s reproduce" in stats["rebuild"]
    assert any(k.endswith("my_sft.jsonl") for k in leak["records_checked_by_content"])

    # a copy of a bench video among the user's training videos, under another name, is refused
    bench_video = built.path.parent / built.items[0]["video"]
    shutil.copy(bench_video, tmp_path / "my_videos" / "holiday.mp4")
    with pytest.raises(LeakageError, match="holiday.mp4, the same file as benchmark video"):
        run_experiment(load_profile("quick", overrides), tmp_path / "results", log=lambda msg: None)


def test_the_users_data_block_is_checked_before_anything_runs(tmp_path):
    with pytest.raises(ProfileError, match="data: unknown key"):
        load_profile("quick", {"data": {"videos": "x"}})
    with pytest.raises(ProfileError, match="data.bench must be"):
        load_profile("quick", {"data": {"bench": "bench.jsonl"}})
    profile = load_profile("quick", {"data": {"train_videos": str(tmp_path / "nowhere"),
                                              "bench": {"path": "no/such/bench.jsonl"}}})
    with pytest.raises(ProfileError, match=r"(?s)no folder .*nowhere.*data.bench.path: no file .*no/such/bench.jsonl"):
        run_experiment(profile, tmp_path / "results", log=lambda msg: None)
    assert not (tmp_path / "results" / "cache").exists()


COMMITTED = CONFIG_DIR.parents[1] / "results" / "experiment"


@pytest.mark.parametrize("profile", sorted(p.name for p in COMMITTED.iterdir() if p.is_dir()))
def test_committed_results_keep_every_runs_items_and_agree_with_them(profile):
    """Every run of a committed experiment has its per-item records, and its aggregate counts them."""
    from sf2t.experiment.stats import read_items, run_file

    results = COMMITTED / profile
    plan = json.loads((results / "plan.json").read_text())
    assert plan
    for values in plan:
        run = Run(**{k: values[k] for k in ("family", "setting", "seed", "drop_task")})
        path = run_file(results, run)
        items = read_items(path.with_suffix(".items.jsonl.gz"))
        overall = json.loads(path.with_suffix(".json").read_text())["overall"]
        assert (overall["n"], overall["correct"]) == (len(items), sum(r["correct"] for r in items)), path


def test_caption_stages_feed_the_base_and_competence_uses_labelled_videos_only(tmp_path):
    """The experiment makes the base's caption data from the world; training only sees records."""
    from sf2t.experiment.bases import caption_stages
    from sf2t.experiment.competence import competence
    from sf2t.train import pretrain_base

    config = world.WorldConfig(width=64, height=64, num_frames=16, backgrounds=("plain",))
    world.generate(tmp_path / "base", n=4, split="train", seed=0, config=config, progress=False)
    world.generate(tmp_path / "labelled", n=2, split="labelled", seed=0, config=config, progress=False)
    world.generate(tmp_path / "bench", n=1, split="bench", seed=0, config=config, progress=False)
    curriculum = [{"kinds": ["object"], "steps": 2}, {"kinds": ["object", "happening"], "steps": 2}]
    stages = caption_stages(tmp_path / "base", tmp_path / "out", curriculum=curriculum, num_frames=8)
    assert [s["steps"] for s in stages] == [2, 2] and all("kinds" not in s for s in stages)
    tasks = [{r["task"] for r in read_jsonl(s["data"][0]["path"])} for s in stages]
    assert tasks == [{"caption_object"}, {"caption_object", "caption_happening"}]
    base = pretrain_base("qwen2_vl", stages, tmp_path / "out", batch_size=2, warmup_steps=0, progress=False)
    comp = competence(base.model_dir, tmp_path / "labelled", kinds=["object", "happening"])
    assert set(comp) == {"caption_object", "caption_happening"}
    assert all(c["n"] == 2 and c["chance"] == 0.25 and 0 <= c["accuracy"] <= 1 for c in comp.values())
    with pytest.raises(ValueError, match="labelled-split"):
        competence(base.model_dir, tmp_path / "base")
    with pytest.raises(ProfileError, match="benchmark-split"):
        caption_stages(tmp_path / "bench", tmp_path / "never")


def test_a_curriculum_stage_gives_a_kind_a_fixed_share_of_the_samples(tmp_path):
    """``shares`` puts a kind (here position captions) in its own records file at that ratio, so it
    is half of what the stage trains on however many kinds share the rest."""
    from sf2t.experiment.bases import caption_stages

    config = world.WorldConfig(width=64, height=64, num_frames=16, backgrounds=("plain",))
    world.generate(tmp_path / "base", n=3, split="train", seed=0, config=config, progress=False)
    stage = {"kinds": ["object", "happening", "position"], "shares": {"position": 0.5}, "steps": 2}
    (built,) = caption_stages(tmp_path / "base", tmp_path / "out", curriculum=[stage], answer_form="text")
    assert "shares" not in built and [d["ratio"] for d in built["data"]] == [0.5, 0.5]
    kinds = [{r["meta"]["kind"] for r in read_jsonl(d["path"])} for d in built["data"]]
    assert kinds == [{"object", "happening"}, {"position"}]
    for shares, message in (({"colour": 0.5}, "not among the stage's kinds"), ({"position": 1.0}, "between 0 and 1")):
        with pytest.raises(ProfileError, match=message):
            caption_stages(tmp_path / "base", tmp_path / "bad", curriculum=[{**stage, "shares": shares}])
    with pytest.raises(ProfileError, match="leaving nothing for"):
        bad = {**stage, "shares": {"position": 0.5, "object": 0.5}}
        caption_stages(tmp_path / "base", tmp_path / "bad", curriculum=[bad])


def test_extra_base_seeds_are_trained_and_gated_but_not_fine_tuned(tmp_path):
    from sf2t.experiment import Paths
    from sf2t.experiment.bases import base_inputs, base_jobs, base_name

    profile = load_profile("quick", {"base.check_seeds": {"qwen2_vl": [1, 2]}})
    jobs = base_jobs(profile, Paths.of(tmp_path, profile), {}, False)
    assert [j[2] for j in jobs] == ["qwen2_vl", "llava_onevision", "qwen2_vl", "qwen2_vl"]
    assert [j[5] if len(j) > 5 else None for j in jobs] == [None, None, 1, 2]
    assert base_name("qwen2_vl", 1) == "qwen2_vl-seed1" and base_inputs(profile, "qwen2_vl", 2)["recipe"]["seed"] == 2
    verdict = gate(profile, {"qwen2_vl": {"caption_object": {"balanced_accuracy": 1.0}},
                             "qwen2_vl-seed1": {"caption_object": {"balanced_accuracy": 0.0}}})
    assert not verdict["families"]["qwen2_vl-seed1"]["passed"]
    with pytest.raises(ProfileError, match="check_seeds"):
        load_profile("quick", {"base.check_seeds": {"qwen2_vl": ["one"]}})


def test_bench_fragment_wording_is_checked_and_reaches_the_builder(tmp_path, monkeypatch):
    """A profile may ask the order questions in the tasks' words; an unknown wording is refused on load,
    and the default leaves the bench stage's inputs as they were."""
    import sf2t.bench.build as build
    from sf2t.experiment import Paths
    from sf2t.experiment.benchmark import stage_bench

    with pytest.raises(ProfileError, match="bench.fragment_wording must be one of"):
        load_profile("quick", {"bench.fragment_wording": "paraphrase"})
    seen = []
    monkeypatch.setattr(build, "build_mini", lambda *a, **kw: seen.append(kw) or (_ for _ in ()).throw(RuntimeError))
    for wording, expected in (("bench", None), ("tasks", "tasks")):
        profile = load_profile("quick", {"bench.fragment_wording": wording})
        with pytest.raises(RuntimeError):
            stage_bench(profile, Paths.of(tmp_path / wording, profile), {"bench": str(tmp_path)}, log=lambda *_: None)
        assert seen[-1].get("fragment_wording") == expected


FRAGMENT = {
    "fragment_world": {"actions": ["move_left", "move_right"], "size_range": [0.18, 0.25], "speeds": [0.5, 0.65]},
    "videos": {
        "base": 3, "train": 3, "labelled": 2, "heldout": 2, "bench": 2, "fragment_base": 3, "fragment_heldout": 2,
    },
}

NONE = {"fragment_base": None, "fragment_heldout": None}


def test_a_fragment_world_makes_sf2t_videos_of_translations_and_leaves_the_rest(tmp_path):
    """With ``fragment_world`` SF²T's videos (train), the bases' position captions (fragment_base) and
    SF²T's held-out task samples (fragment_heldout) come from that world; the bases' coarse captions,
    their competence and the benchmark stay in the profile's world, and no two folders share a seed."""
    from sf2t.experiment.worlds import build_worlds, caption_worlds, stage_worlds, task_heldout_world

    profile = load_profile("quick", FRAGMENT)
    dirs = build_worlds(profile, tmp_path)
    assert set(dirs) == {"base", "train", "labelled", "heldout", "bench", "fragment_base", "fragment_heldout"}
    actions = {name: {t["action"] for t in world.load_truth(d)} for name, d in dirs.items()}
    for name in ("train", "fragment_base", "fragment_heldout"):
        assert actions[name] <= {"move_left", "move_right"}, name
    assert world.load_truth(dirs["fragment_heldout"])[0]["split"] == "labelled"
    assert task_heldout_world({k: str(v) for k, v in dirs.items()}) == str(dirs["fragment_heldout"])
    assert caption_worlds({k: str(v) for k, v in dirs.items()}) == {"position": str(dirs["fragment_base"])}
    # without one, the profile's world serves every split and the worlds stage keeps its fingerprint
    plain = load_profile("quick", {"videos": FRAGMENT["videos"], "fragment_world": {}})
    assert task_heldout_world({"heldout": "h"}) == "h" and caption_worlds({"base": "b"}) == {}
    from sf2t.experiment import Paths

    marker = stage_worlds(plain, Paths.of(tmp_path / "plain", plain), log=lambda *_: None)
    assert set(marker) == {"base", "train", "labelled", "heldout", "bench"}
    for overrides, message in (
        ({"fragment_world": {"actions": ["fly"]}}, "fragment_world:"),
        (
            {"fragment_world": {"actions": ["move_left"]}, "videos": dict.fromkeys(FRAGMENT["videos"], 2) | NONE},
            "videos.fragment_base must be a positive integer",
        ),
        ({"fragment_world": ["move_left"]}, "fragment_world must be a mapping"),
    ):
        with pytest.raises(ProfileError, match=message):
            load_profile("quick", overrides)


def test_a_base_learns_positions_from_the_fragment_world_and_its_captions_name_their_world(tmp_path):
    """A kind asked of another world's videos (positions of the fragment world) gets its own records
    file rooted there; it must have a share; the base's stage marker names that world, so the leakage
    check reads each captions file against its own folder; bases of profiles without a fragment world
    keep their identity."""
    from sf2t.experiment import Paths
    from sf2t.experiment.bases import base_inputs, caption_stages, stage_base
    from sf2t.experiment.worlds import build_worlds

    stage = {"kinds": ["object", "position"], "shares": {"position": 0.4}, "steps": 2}
    overrides = {
        **FRAGMENT, "families": ["qwen2_vl"], "base.default.curriculum": [stage], "base.default.answer_form": "text",
    }
    profile = load_profile("quick", overrides)
    worlds = {k: str(v) for k, v in build_worlds(profile, tmp_path / "worlds").items()}
    base = stage_base(profile, Paths.of(tmp_path, profile), "qwen2_vl", worlds, log=lambda *_: None)
    roots = dict(zip(base["captions"], base["caption_roots"], strict=True))
    assert sorted(roots.values()) == sorted([worlds["base"], worlds["fragment_base"]])
    for path, root in roots.items():
        kinds = {r["meta"]["kind"] for r in read_jsonl(path)}
        assert kinds == ({"position"} if root == worlds["fragment_base"] else {"object"})
        videos = {t["video"] for t in world.load_truth(root)}
        assert {r["video"] for r in read_jsonl(path)} <= videos
    marker = json.loads((tmp_path / "bases" / "quick" / "qwen2_vl" / "stage.json").read_text())["outputs"]
    assert marker["caption_worlds"] == {"captions/stage-0-position.jsonl": "fragment_base"}
    assert check_no_leakage(list(roots.items()), worlds["bench"])["leaks"] == 0
    with pytest.raises(ProfileError, match="give each a share"):
        caption_stages(worlds["base"], tmp_path / "bad", curriculum=[{**stage, "shares": {}}],
                       kind_worlds={"position": worlds["fragment_base"]})
    plain = load_profile("quick", {"fragment_world": {}})
    assert set(base_inputs(plain, "qwen2_vl")) == {"family", "recipe", "world", "world_seed", "videos"}
    assert base_inputs(profile, "qwen2_vl")["videos"]["fragment_base"] == 3


def test_a_base_given_one_more_stage_trains_only_that_stage_and_ends_where_a_fresh_one_does(tmp_path):
    """A recipe extended by a curriculum stage takes the stages the previous base trained the same way
    from it (set aside as stale), so only the new stage is trained; training is deterministic, so the
    weights are those of the longer recipe trained from scratch. A changed first stage reuses nothing."""
    import torch
    from safetensors.torch import load_file

    from sf2t.experiment import Paths
    from sf2t.experiment.bases import stage_base
    from sf2t.experiment.worlds import build_worlds

    first = {"kinds": ["object"], "steps": 2}
    second = {"kinds": ["object", "colour_fixed"], "steps": 2}

    def base(curriculum, root, **kw):
        profile = load_profile("quick", {"families": ["qwen2_vl"], "base.default.curriculum": curriculum})
        return stage_base(profile, Paths.of(root, profile), "qwen2_vl", worlds, log=lambda *_: None, **kw)

    worlds = {k: str(v) for k, v in build_worlds(load_profile("quick"), tmp_path / "worlds").items()}
    base([first], tmp_path / "a")
    longer = base([first, second], tmp_path / "a")
    fresh = base([first, second], tmp_path / "b")
    assert longer["stages_from_earlier"] == 1 and "stages_from_earlier" not in fresh
    weights = [load_file(f"{b['model_dir']}/model.safetensors") for b in (longer, fresh)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    folder = tmp_path / "a" / "bases" / "quick" / "qwen2_vl"
    runs = json.loads((folder / "base_result.json").read_text())["runs"]
    assert [r["steps"] for r in runs] == [2, 2] and runs[0]["model_dir"] == "stage-0/final"
    changed = base([{**first, "kinds": ["colour_fixed"]}, second], tmp_path / "a")
    assert "stages_from_earlier" not in changed


def test_a_child_profile_replaces_the_fragment_world_whole(tmp_path):
    """A child naming ``fragment_world`` replaces its parent's (``{}``: none), unlike other mappings."""
    parent = {"extends": "quick", **FRAGMENT}
    (tmp_path / "parent.json").write_text(json.dumps(parent))
    (tmp_path / "none.json").write_text(json.dumps({"extends": "parent", "fragment_world": {}}))
    (tmp_path / "other.json").write_text(json.dumps({"extends": "parent", "fragment_world": {"actions": ["move_up"]}}))
    assert load_profile(tmp_path / "parent.json").fragment_world["speeds"] == [0.5, 0.65]
    assert load_profile(tmp_path / "none.json").fragment_world_config() is None
    assert load_profile(tmp_path / "other.json").fragment_world == {"actions": ["move_up"]}
