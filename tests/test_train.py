"""Training: config, data checks, the loop, LoRA, checkpoints and resume, PEFT layout, failures.

Every run uses a real tiny model (`sf2t.models.tiny`) on real MP4 files from the synthetic world.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from sf2t import world
from sf2t.common import seeding
from sf2t.common.records import write_jsonl
from sf2t.train import (
    CheckpointMismatch,
    ConfigError,
    DataError,
    DataSource,
    TrainConfig,
    TrainingError,
    mixture_plan,
    train,
)
from sf2t.train import build as train_build
from sf2t.train import data as train_data
from sf2t.train.checkpoint import latest_checkpoint
from sf2t.video.transforms import materialize
from sf2t.world.captions import caption_records

FAMILY = "qwen2_vl"


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One intra-op thread: on a shared 2-core machine, two spinning OpenMP threads per process
    made these tiny steps up to ten times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Four 64² clips of 16 frames and their coarse-caption records (8 records)."""
    root = tmp_path_factory.mktemp("world")
    config = world.WorldConfig(width=64, height=64, num_frames=16, backgrounds=("plain",))
    truths = world.generate(root / "videos", n=4, split="train", seed=0, config=config, progress=False)
    records = caption_records(truths, num_frames=8)
    write_jsonl(root / "captions.jsonl", records)
    return {"root": root, "videos": root / "videos", "records": records, "jsonl": root / "captions.jsonl"}


def make_config(dataset, out: Path, **overrides) -> TrainConfig:
    values = {
        "data": [{"path": str(dataset["jsonl"]), "root": str(dataset["videos"])}],
        "output_dir": str(out),
        "model": f"tiny:{FAMILY}",
        "steps": 4,
        "batch_size": 2,
        "lr": 1e-3,
        "progress": False,
    }
    values.update(overrides)
    return TrainConfig.from_dict(values)


# --------------------------------------------------------------------------- config


def test_config_round_trips_through_json_and_yaml(tmp_path):
    config = TrainConfig(
        data=[DataSource(path="a.jsonl", root="videos", ratio=2.0), {"path": "b.jsonl", "ratio": 1.0, "name": "sf2t"}],
        output_dir=str(tmp_path / "run"),
        model="tiny:llava_onevision",
        model_size={"hidden_size": 64},
        lora_targets=["q_proj", "v_proj"],
    )
    path = tmp_path / "cfg.json"
    config.to_json(path)
    assert TrainConfig.from_file(path) == config
    import yaml

    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(config.to_dict()))
    assert TrainConfig.from_file(tmp_path / "cfg.yaml") == config
    changed = config.with_overrides(["steps=7", "lr=0.01", "model_size.num_layers=3", "schedule=constant"])
    assert (changed.steps, changed.lr, changed.model_size, changed.schedule) == (
        7,
        0.01,
        {"hidden_size": 64, "num_layers": 3},
        "constant",
    )


def test_config_validation_lists_every_problem():
    config = TrainConfig(
        data=[], model="tiny:no_such_family", steps=0, lr=-1, mode="half", mixed_precision="fp8", adam_beta2=1.0
    )
    with pytest.raises(ConfigError) as info:
        config.validate()
    message = str(info.value)
    for expected in (
        "unknown family 'no_such_family'",
        "steps must be",
        "lr must be",
        "mode must be",
        "mixed_precision",
        "adam_beta2 must be",
        "mixture is empty",
    ):
        assert expected in message
    with pytest.raises(ConfigError, match="unknown field"):
        TrainConfig.from_dict({"stepz": 3})
    with pytest.raises(ConfigError, match="every ratio is zero"):
        TrainConfig(data=[{"path": "a", "ratio": 0}, {"path": "b", "ratio": 0.0}]).validate()


def test_example_configs_are_valid():
    folder = Path(__file__).resolve().parents[1] / "configs" / "train"
    configs = {p.name: TrainConfig.from_file(p).validate() for p in sorted(folder.glob("*.yaml"))}
    assert len(configs) >= 4
    assert any(len(c.data) > 1 for c in configs.values())  # a mixture example


# --------------------------------------------------------------------------- data


def test_mixture_plan_follows_ratios_and_is_deterministic(dataset):
    big = train_data.Source(DataSource(path="a.jsonl", ratio=3.0), [{}] * 10)
    small = train_data.Source(DataSource(path="b.jsonl", ratio=1.0), [{}] * 3)
    unused = train_data.Source(DataSource(path="c.jsonl", ratio=0.0), [{}] * 5)
    plan = mixture_plan([big, small, unused], num_micro_batches=200, global_batch=4, seed=1)
    assert plan.shape == (200, 4, 2)
    assert np.array_equal(plan, mixture_plan([big, small, unused], 200, 4, seed=1))
    assert not np.array_equal(plan, mixture_plan([big, small, unused], 200, 4, seed=2))
    share = np.bincount(plan[..., 0].ravel(), minlength=3) / plan[..., 0].size
    assert share[2] == 0 and abs(share[0] - 0.75) < 0.05
    first_pass = plan[..., 1].ravel()[plan[..., 0].ravel() == 0][:10]
    assert sorted(first_pass) == list(range(10))  # without replacement within a pass


def test_frame_cache_gives_exactly_the_materialized_frames(dataset):
    sources = train_data.load_sources([DataSource(path=str(dataset["jsonl"]), root=str(dataset["videos"]))])
    cache = train_data.FrameCache(sources, max_bytes=2**20)
    for record in dataset["records"][:4]:
        assert np.array_equal(cache.frames(record, str(dataset["videos"])), materialize(record, dataset["videos"]))


def test_sample_cache_gives_exactly_the_batches_of_a_fresh_encoding(dataset):
    """Kept samples (shared clip tensors, evictions under a small budget) collate into the very
    batches a fresh decoding and encoding gives, draw after draw."""
    from sf2t.models import tiny
    from sf2t.train.samples import SampleCache

    llm = tiny("llava_onevision")
    sources = train_data.load_sources([DataSource(path=str(dataset["jsonl"]), root=str(dataset["videos"]))])
    plan = mixture_plan(sources, 6, 4, seed=0)
    fresh = train_data.MicroBatches(plan, sources, llm, 0, 4, cache_mb=0)
    budget, everything = 2**30, None
    while budget:
        kept = train_data.MicroBatches(plan, sources, llm, 0, 4, cache_mb=0)
        kept.cache = SampleCache(llm, kept.cache.frames, budget)
        for k in [*range(6), *range(6)]:
            a, b = fresh[k], kept[k]
            assert [(g.weight, g.size) for g in a] == [(g.weight, g.size) for g in b]
            for x, y in zip(a, b, strict=True):
                assert x.batch.keys() == y.batch.keys() and all(torch.equal(x.batch[n], y.batch[n]) for n in x.batch)
        assert kept.cache.nbytes <= budget and (kept.cache.hits > 0 or everything is not None)
        # then a budget of a third of what every record took: samples are evicted and encoded again
        budget, everything = (kept.cache.nbytes // 3, kept.cache.nbytes) if everything is None else (0, everything)
    assert kept.cache.misses > len(dataset["records"]) and fresh.cache.hits == 0


def test_two_runs_with_one_seed_give_bit_identical_weights(dataset, tmp_path):
    """Same seed, same weights: with the sample cache reused across epochs and the loss on the
    answer positions, two full runs (dropout on) end bit-identical."""
    settings = dict(mode="full", steps=6, train_vision=True, warmup_steps=1)
    a = train(make_config(dataset, tmp_path / "a", **settings))
    b = train(make_config(dataset, tmp_path / "b", **settings))
    x, y = load_file(a.model_dir / "model.safetensors"), load_file(b.model_dir / "model.safetensors")
    assert x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)
    assert [r["loss"] for r in a.curve] == [r["loss"] for r in b.curve]


def test_mixed_frame_counts_split_into_token_weighted_groups(dataset, tmp_path):
    """LLaVA-style families stack videos, so 4- and 8-frame clips cannot share a batch: the
    micro-batch becomes groups whose token-weighted losses add up to the micro-batch's loss."""
    from sf2t.models import tiny
    from sf2t.train.samples import SampleCache

    llm = tiny("llava_onevision")
    llm.model.eval()
    short = [dict(r, id=r["id"] + "-4", frames={"indices": r["frames"]["indices"][:4]}) for r in dataset["records"]]
    records = [dataset["records"][0], short[1], dataset["records"][2], short[3]]
    root = str(dataset["videos"])
    sources = [train_data.Source(DataSource(path="mix.jsonl", root=root), records)]
    cache = SampleCache(llm, train_data.FrameCache(sources, max_bytes=2**24), max_bytes=0)
    groups = train_data.encode_groups(llm, [(r, root) for r in records], cache)
    assert sorted(g.size for g in groups) == [2, 2] and sum(g.weight for g in groups) == pytest.approx(1)
    with torch.no_grad():
        combined = sum(float(llm.loss(g.batch)) * g.weight for g in groups)
        singles = [train_data.encode_groups(llm, [(r, root)], cache)[0].batch for r in records]
        tokens = [train_data.answer_tokens(b) for b in singles]
        expected = sum(float(llm.loss(b)) * n for b, n in zip(singles, tokens, strict=True)) / sum(tokens)
    assert combined == pytest.approx(expected, rel=1e-5)
    write_jsonl(tmp_path / "mix.jsonl", records)
    result = train(
        make_config(
            dataset,
            tmp_path / "run",
            model="tiny:llava_onevision",
            steps=2,
            batch_size=4,
            data=[{"path": str(tmp_path / "mix.jsonl"), "root": root}],
        )
    )
    assert all(np.isfinite(r["loss"]) for r in result.curve)


@pytest.mark.parametrize("family", ["qwen2_vl", "llava_next_video"])
def test_sft_plus_sf2t_mixture_of_captions_and_fragment_task_samples(dataset, tmp_path, family):
    """Real `sf2t.tasks` samples (numbered frames, pixel transforms, varying frame counts) mixed with
    labelled records: the shared record shape trains end to end, on a merging and a stacking family."""
    from sf2t.tasks import Mixture, generate_samples

    samples, _ = generate_samples(
        dataset["videos"], 10, seed=0, mixture=Mixture.from_spec(None, temporal_merge=1), frames_per_clip=16
    )
    assert len({s["task"] for s in samples}) == 5 and any(s["numbered"] for s in samples)
    write_jsonl(tmp_path / "sf2t.jsonl", samples)
    data = [
        {"path": str(dataset["jsonl"]), "root": str(dataset["videos"]), "ratio": 1.0, "name": "sft"},
        {"path": str(tmp_path / "sf2t.jsonl"), "root": str(dataset["videos"]), "ratio": 3.0, "name": "sf2t"},
    ]
    result = train(make_config(dataset, tmp_path / "run", model=f"tiny:{family}", data=data, steps=3, batch_size=4))
    assert all(np.isfinite(r["loss"]) for r in result.curve)


def test_malformed_line_and_missing_video_are_named_before_training(dataset, tmp_path):
    lines = dataset["jsonl"].read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([lines[0], "{not json", lines[1]]) + "\n")
    with pytest.raises(DataError, match=r"line 2: not valid JSON"):
        train(make_config(dataset, tmp_path / "run", data=[{"path": str(bad), "root": str(dataset["videos"])}]))
    assert not (tmp_path / "run").exists()
    missing = dict(json.loads(lines[0]), video="nowhere.mp4")
    write_jsonl(tmp_path / "missing.jsonl", [missing])
    with pytest.raises(DataError, match=r"video 'nowhere.mp4' not found"):
        train(
            make_config(
                dataset,
                tmp_path / "run2",
                data=[{"path": str(tmp_path / "missing.jsonl"), "root": str(dataset["videos"])}],
            )
        )
    assert not (tmp_path / "run2").exists()


def test_frame_indices_beyond_a_video_are_named_before_the_run_folder_exists(dataset, tmp_path):
    """Each video is probed once; an index past its end (or a paste source's) fails up front."""
    record = dataset["records"][0]
    too_far = dict(record, id="too-far", frames={"indices": [0, 40], "transform": None})
    paste = {"kind": "paste", "source": {"video": record["video"], "index": 99}, "frames": [0], "at": [0, 0]}
    paste_far = dict(record, id="paste-far", frames={"indices": [0, 1], "transform": paste})
    write_jsonl(tmp_path / "far.jsonl", [record, too_far, paste_far])
    data = [{"path": str(tmp_path / "far.jsonl"), "root": str(dataset["videos"])}]
    with pytest.raises(DataError) as info:
        train(make_config(dataset, tmp_path / "run", data=data))
    message = str(info.value)
    video = record["video"]
    assert f"far.jsonl: record 'too-far': frame 40 is beyond video '{video}', which has 16 frames" in message
    assert f"far.jsonl: record 'paste-far': frame 99 is beyond video '{video}'" in message
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def other_family_folder(tmp_path_factory):
    from sf2t.models import tiny

    folder = tmp_path_factory.mktemp("llava")
    tiny("llava_onevision").save(folder)
    return folder


def test_bad_model_or_checkpoint_fails_before_training(dataset, tmp_path, other_family_folder):
    with pytest.raises(ConfigError, match="unknown family 'gpt9'"):
        train(make_config(dataset, tmp_path / "a", model="tiny:gpt9"))
    with pytest.raises(CheckpointMismatch, match="does not match family 'qwen2_vl'"):
        train(make_config(dataset, tmp_path / "b", init=str(other_family_folder)))
    no_weights = tmp_path / "no_weights"
    no_weights.mkdir()
    (no_weights / "config.json").write_text(json.dumps({"model_type": "qwen2_vl"}))
    with pytest.raises(CheckpointMismatch, match="no weights"):
        train(make_config(dataset, tmp_path / "c", init=str(no_weights)))
    with pytest.raises(ConfigError, match="mixture is empty"):
        train(make_config(dataset, tmp_path / "d", data=[]))
    with pytest.raises(CheckpointMismatch, match="model folder not found"):
        train(make_config(dataset, tmp_path / "e", model=str(tmp_path / "no" / "model")))
    with pytest.raises(ConfigError, match="unknown tiny size"):  # caught by TrainConfig.validate
        train(make_config(dataset, tmp_path / "f", model_size={"depth": 3}))
    assert not any((tmp_path / name).exists() for name in "abcdef")


# --------------------------------------------------------------------------- the loop


def test_loss_falls_on_a_tiny_overfit_set_and_the_curve_is_saved(dataset, tmp_path):
    data = tmp_path / "four.jsonl"
    write_jsonl(data, [r for r in dataset["records"] if r["task"] == "caption_object"])
    config = make_config(
        dataset,
        tmp_path / "run",
        data=[{"path": str(data), "root": str(dataset["videos"])}],
        mode="full",
        steps=30,
        batch_size=4,
        lr=3e-3,
        warmup_steps=2,
        eval_data=[{"path": str(data), "root": str(dataset["videos"])}],
        eval_every=15,
        eval_samples=4,
    )
    result = train(config)
    losses = [row["loss"] for row in result.curve]
    assert len(losses) == 30 and all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:3])
    run = tmp_path / "run"
    csv_rows = (run / "loss.csv").read_text().splitlines()
    assert csv_rows[0] == "step,loss,lr,samples_per_s,elapsed_s,eval_loss" and len(csv_rows) == 31
    saved = json.loads((run / "loss.json").read_text())["rows"]
    assert [r["step"] for r in saved] == list(range(1, 31)) and saved[-1]["loss"] == pytest.approx(losses[-1])
    assert all(r["samples_per_s"] > 0 for r in saved)
    evals = [(r["step"], r["eval_loss"]) for r in saved if r["eval_loss"] is not None]
    assert [step for step, _ in evals] == [15, 30] and evals[1][1] < losses[0]
    assert TrainConfig.from_file(run / "train_config.json") == config
    assert (result.model_dir / "model.safetensors").is_file() and result.trainable["trainable_vision"] == 0


def test_lora_trains_only_adapters_and_keeps_the_vision_tower_frozen(dataset, tmp_path, monkeypatch):
    seen = {}
    real = train_build.make_trainable

    def spy(llm, config):
        llm = real(llm, config)
        seen["llm"] = llm
        seen["before"] = {n: p.detach().clone() for n, p in llm.model.named_parameters()}
        return llm

    monkeypatch.setattr(train_build, "make_trainable", spy)
    result = train(make_config(dataset, tmp_path / "run", steps=3, lora_rank=4))
    llm = seen["llm"]
    vision = train_build.vision_regex(llm)
    changed = {n for n, p in llm.model.named_parameters() if not torch.equal(p.detach(), seen["before"][n])}
    trainable = {n for n, p in llm.model.named_parameters() if p.requires_grad}
    assert changed and changed <= trainable
    assert all("lora_" in n for n in trainable)
    assert not any(vision.search(n) for n in trainable)
    assert result.trainable["trainable_vision"] == 0 and result.trainable["trainable"] == sum(
        seen["before"][n].numel() for n in trainable
    )
    unfrozen = train(make_config(dataset, tmp_path / "vision", steps=1, train_vision=True))
    assert unfrozen.trainable["trainable_vision"] > 0


def test_bf16_mixed_precision_trains_on_cpu(dataset, tmp_path):
    result = train(make_config(dataset, tmp_path / "run", steps=2, mixed_precision="bf16"))
    assert result.distributed["mixed_precision"] == "bf16"
    assert all(np.isfinite(row["loss"]) for row in result.curve)


# --------------------------------------------------------------------------- checkpoints and resume


class Killed(Exception):
    pass


def kill_after(step_to_die: int):
    def callback(step, row):
        if step == step_to_die:
            raise Killed(step)

    return callback


@pytest.mark.parametrize(("mode", "workers"), [("lora", 1), ("full", 0)])
def test_killed_and_resumed_run_ends_with_identical_weights(dataset, tmp_path, mode, workers):
    # dropout and gradient accumulation make the check strict: RNG, data position and optimizer
    # state must all be restored for the weights to come out bit-identical (with a data worker too).
    settings = dict(
        mode=mode, steps=6, grad_accum=2, checkpoint_every=3, lora_dropout=0.3, warmup_steps=1, num_workers=workers
    )
    straight = train(make_config(dataset, tmp_path / "straight", **settings))
    with pytest.raises(Killed):
        train(make_config(dataset, tmp_path / "killed", **settings), callback=kill_after(5))
    assert latest_checkpoint(tmp_path / "killed").name == "step-000003"
    with pytest.raises(ConfigError, match="resume=True"):
        train(make_config(dataset, tmp_path / "killed", **settings))
    resumed = train(make_config(dataset, tmp_path / "killed", resume=True, **settings))
    assert resumed.resumed_from == 3
    weights = "adapter_model.safetensors" if mode == "lora" else "model.safetensors"
    a, b = load_file(straight.model_dir / weights), load_file(resumed.model_dir / weights)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert [r["loss"] for r in resumed.curve] == [r["loss"] for r in straight.curve]
    with pytest.raises(ConfigError, match="does not match this configuration"):
        train(make_config(dataset, tmp_path / "killed", resume=True, **{**settings, "lr": 0.5}))


def test_adapter_loads_with_peft_in_a_process_that_never_imports_sf2t(dataset, tmp_path):
    result = train(make_config(dataset, tmp_path / "run", steps=2))
    adapter_config = json.loads((result.model_dir / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == result.base_dir
    expected = sum(float(t.double().sum()) for t in load_file(result.model_dir / "adapter_model.safetensors").values())
    script = f"""
import sys
from peft import PeftModel
from transformers import AutoModelForImageTextToText
base = AutoModelForImageTextToText.from_pretrained({result.base_dir!r})
model = PeftModel.from_pretrained(base, {str(result.model_dir)!r})
total = sum(float(p.double().sum()) for n, p in model.named_parameters() if "lora_" in n)
assert not any(name == "sf2t" or name.startswith("sf2t.") for name in sys.modules)
print(total)
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout.strip().splitlines()[-1]) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_non_finite_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(dataset, tmp_path, monkeypatch):
    real = train_build.make_trainable
    calls = {"n": 0}

    def poisoned(llm, config):
        llm = real(llm, config)

        def hook(module, args, kwargs, output):
            calls["n"] += 1
            if calls["n"] == 3:  # the loop's loss is read from the logits (the answer positions')
                output.logits = output.logits * float("nan")
            return output

        llm.model.register_forward_hook(hook, with_kwargs=True)
        return llm

    monkeypatch.setattr(train_build, "make_trainable", poisoned)
    run = tmp_path / "run"
    with pytest.raises(TrainingError, match=r"non-finite loss \(nan\) at step 3.*step-000002"):
        train(make_config(dataset, run, steps=5, checkpoint_every=1))
    assert latest_checkpoint(run).name == "step-000002"
    assert not (run / "checkpoints" / "step-000003").exists() and not (run / "final").exists()
    weights = load_file(run / "checkpoints" / "step-000002" / "model" / "adapter_model.safetensors")
    assert all(torch.isfinite(t).all() for t in weights.values())
    rows = json.loads((run / "loss.json").read_text())["rows"]
    assert [r["step"] for r in rows] == [1, 2, 3] and rows[-1]["loss"] is None


# --------------------------------------------------------------------------- CLI and seeding


def test_cli_trains_with_overrides_and_reports_bad_configs(dataset, tmp_path, capsys):
    from sf2t.cli import main

    path = tmp_path / "cfg.json"
    make_config(dataset, tmp_path / "run", steps=50).to_json(path)
    assert main(["train", "--config", str(path), "--set", "steps=2", "--set", "batch_size=1"]) == 0
    saved = TrainConfig.from_file(tmp_path / "run")
    assert (saved.steps, saved.batch_size) == (2, 1)
    assert "trained 2 steps" in capsys.readouterr().out
    assert main(["train", "--config", str(path), "--set", "model=tiny:nope", "--output-dir", str(tmp_path / "x")]) == 2
    assert "unknown family 'nope'" in capsys.readouterr().err


BAD_SETTINGS = {
    "lora_targets=(": "lora_targets: '(' is not a valid regular expression",
    "lora_targets=[]": "lora_targets must be null, a regex string or a non-empty list",
    'lora_targets=["q proj"]': "lora_targets: not module names",
    'lora_targets=["nothing_matches"]': "match no module of the qwen2_vl model",
    "model_size.num_layers=0": "model_size: tiny size num_layers must be an integer >= 1, got 0",
    "batch_size=0": "batch_size must be an integer >= 1, got 0",
    "steps=-1": "steps must be an integer >= 1, got -1",
    "cpu=yes": "cpu must be true or false",
    'data=[{"path": 5}]': "data[0]: 'path' must be a non-empty string",
}


@pytest.mark.parametrize("setting", list(BAD_SETTINGS))
def test_cli_reports_a_bad_setting_in_one_line_and_leaves_no_run_folder(dataset, tmp_path, capsys, setting):
    from sf2t.cli import main

    path = tmp_path / "cfg.json"
    make_config(dataset, tmp_path / "run").to_json(path)
    assert main(["train", "--config", str(path), "--set", setting]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sf2t train: ") and err.count("\n") == 1 and "Traceback" not in err
    assert BAD_SETTINGS[setting] in err
    assert not (tmp_path / "run").exists()


def test_cli_refuses_an_output_dir_that_is_a_file_and_an_unreadable_config(dataset, tmp_path, capsys):
    from sf2t.cli import main

    path = tmp_path / "cfg.json"
    make_config(dataset, tmp_path / "run").to_json(path)
    (tmp_path / "taken").write_text("a file")
    assert main(["train", "--config", str(path), "--output-dir", str(tmp_path / "taken")]) == 2
    assert "output_dir " + str(tmp_path / "taken") + " is a file, not a folder" in capsys.readouterr().err
    (tmp_path / "latin1.yaml").write_bytes(b"steps: 3 # caf\xe9\n")
    assert main(["train", "--config", str(tmp_path / "latin1.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sf2t train: {tmp_path / 'latin1.yaml'}: cannot parse configuration")
    assert err.count("\n") == 1


def test_an_adapter_loads_only_on_the_base_it_was_trained_on(dataset, tmp_path):
    """The adapter records its base; another random base (another seed) or family is refused by
    `load`, by evaluation's ``tiny:`` path, and as the ``init`` of another run."""
    from sf2t.evaluate.cli import load_model
    from sf2t.models import load

    result = train(make_config(dataset, tmp_path / "run", steps=1))
    assert load(result.base_dir, adapter=result.model_dir).is_adapter
    assert load_model(f"tiny:{FAMILY}", adapter=str(result.model_dir), seed=0).is_adapter
    with pytest.raises(ValueError, match=r"trained on tiny:qwen2_vl \(seed 0.*base given is tiny:qwen2_vl \(seed 1"):
        load_model(f"tiny:{FAMILY}", adapter=str(result.model_dir), seed=1)
    with pytest.raises(ValueError, match="adapter was trained on a 'qwen2_vl' model"):
        load_model("tiny:llava_onevision", adapter=str(result.model_dir))
    with pytest.raises(CheckpointMismatch, match="weights differ"):
        train(make_config(dataset, tmp_path / "again", steps=1, seed=1, init=str(result.model_dir)))
    assert not (tmp_path / "again").exists()


def test_rng_state_round_trip_and_seeded_context():
    seeding.set_seed(3)
    state = seeding.get_rng_state()
    first = (np.random.rand(), torch.rand(2), __import__("random").random())
    seeding.set_rng_state(state)
    again = (np.random.rand(), torch.rand(2), __import__("random").random())
    assert first[0] == again[0] and torch.equal(first[1], again[1]) and first[2] == again[2]
    seeding.set_rng_state(state)
    with seeding.seeded(99):
        inner = torch.rand(1)
    assert torch.equal(torch.rand(2), first[1])  # the outer stream did not move
    with seeding.seeded(99):
        assert torch.equal(torch.rand(1), inner)


# --------------------------------------------------------------------------- stages


def test_base_curriculum_then_lora_finetune_on_it(dataset, tmp_path):
    from sf2t.train import finetune, pretrain_base

    data = [{"path": str(dataset["jsonl"]), "root": str(dataset["videos"])}]
    stages = [{"data": data, "steps": 2}, {"data": data, "steps": 2, "lr": 5e-4}]
    base = pretrain_base(FAMILY, stages, tmp_path / "base", batch_size=2, warmup_steps=0, progress=False)
    assert [row["step"] for row in base.curve] == [1, 2, 3, 4] and [r["stage"] for r in base.curve] == [0, 0, 1, 1]
    second = json.loads((tmp_path / "base" / "stage-1" / "train_config.json").read_text())
    assert second["init"] == "../stage-0/final" and second["lr"] == 5e-4  # relative to the run folder
    assert TrainConfig.from_file(tmp_path / "base" / "stage-1").init == str(tmp_path / "base" / "stage-0" / "final")
    assert second["mode"] == "full" and second["train_vision"]
    assert json.loads((tmp_path / "base" / "base_result.json").read_text())["model_dir"] == "stage-1/final"
    with pytest.raises(ConfigError, match="steps"):  # every stage is checked before any training
        pretrain_base(FAMILY, [stages[0], {"data": data, "steps": 0}], tmp_path / "again", progress=False)
    assert not (tmp_path / "again").exists()

    tuned = finetune(
        base.model_dir,
        [{"path": str(dataset["jsonl"]), "root": str(dataset["videos"])}],
        tmp_path / "sft",
        steps=2,
        batch_size=2,
        progress=False,
    )
    adapter = json.loads((tuned.model_dir / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == str(Path(base.model_dir).resolve())
    assert tuned.trainable["trainable_vision"] == 0


def test_position_captions_train_as_a_base_stage(dataset, tmp_path):
    """The position kind shows frames shuffled and as numbered images; the loader and the model take both."""
    from sf2t.train import pretrain_base

    truths = world.load_truth(dataset["videos"])
    records = caption_records(truths, kinds=["position"], answer_form="text")
    shuffled = [r["frames"]["indices"] != sorted(r["frames"]["indices"]) for r in records]
    assert any(r["numbered"] for r in records) and any(shuffled)
    write_jsonl(tmp_path / "position.jsonl", records)
    data = [{"path": str(tmp_path / "position.jsonl"), "root": str(dataset["videos"])}]
    stages = [{"data": data, "steps": 2}]
    base = pretrain_base(FAMILY, stages, tmp_path / "base", batch_size=4, warmup_steps=0, progress=False)
    assert len(base.curve) == 2 and all(math.isfinite(row["loss"]) for row in base.curve)
