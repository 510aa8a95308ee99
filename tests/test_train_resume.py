"""Resuming in a hostile world: damaged checkpoints, a moved run folder, two runs into one folder.

Every resumed run here must still end bit-identical to an uninterrupted one: the straight run
is trained once per module and each case resumes from a copy of it (or of a killed run).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from sf2t import world
from sf2t.common.locks import lock_path
from sf2t.common.records import write_jsonl
from sf2t.common.records import write_text_atomic as write_atomic
from sf2t.train import TrainConfig, train
from sf2t.train.checkpoint import CorruptCheckpoint
from sf2t.train.run_folder import RunFolderBusy
from sf2t.world.captions import caption_records

#: Dropout and gradient accumulation make the bit-identical check strict (as in test_train.py).
SETTINGS = dict(steps=6, grad_accum=2, checkpoint_every=3, lora_dropout=0.3, warmup_steps=1, batch_size=2, lr=1e-3)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Two 64² clips of 16 frames and their coarse-caption records."""
    root = tmp_path_factory.mktemp("world")
    config = world.WorldConfig(width=64, height=64, num_frames=16, backgrounds=("plain",))
    truths = world.generate(root / "videos", n=2, split="train", seed=0, config=config, progress=False)
    write_jsonl(root / "captions.jsonl", caption_records(truths, num_frames=8))
    return root


def make_config(dataset: Path, out: Path, **overrides) -> TrainConfig:
    values = {
        "data": [{"path": str(dataset / "captions.jsonl"), "root": str(dataset / "videos")}],
        "output_dir": str(out),
        "model": "tiny:qwen2_vl",
        "progress": False,
        **SETTINGS,
    }
    return TrainConfig.from_dict({**values, **overrides})


@pytest.fixture(scope="module")
def straight(dataset, tmp_path_factory):
    """An uninterrupted run: checkpoints at steps 3 and 6."""
    return train(make_config(dataset, tmp_path_factory.mktemp("straight") / "run"))


def adapter_weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(folder / "adapter_model.safetensors")


def same_weights(a: Path, b: Path) -> bool:
    x, y = adapter_weights(a), adapter_weights(b)
    return x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def edit_state(path: Path, change) -> None:
    state = json.loads(path.read_text())
    change(state)
    path.write_text(json.dumps(state))


DAMAGES = {
    "truncated adapter": ("model/adapter_model.safetensors", truncate),
    "truncated optimizer": ("optimizer.pt", truncate),
    "missing adapter config": ("model/adapter_config.json", Path.unlink),
    "missing scheduler": ("scheduler.pt", Path.unlink),
    "missing RNG state": ("rng/rank-0.pt", Path.unlink),
    "state without a key": ("trainer_state.json", lambda p: edit_state(p, lambda s: s.pop("plan_digest"))),
    "state claiming step 999": ("trainer_state.json", lambda p: edit_state(p, lambda s: s.update(step=999))),
}


# --------------------------------------------------------------------------- damaged checkpoints


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_checkpoint_is_named_and_resume_falls_back_to_the_one_before(
    dataset, straight, tmp_path, capsys, damage
):
    run = tmp_path / "run"
    shutil.copytree(straight.run_dir, run)
    name, spoil = DAMAGES[damage]
    spoil(run / "checkpoints" / "step-000006" / name)
    resumed = train(make_config(dataset, run, resume=True))
    assert resumed.resumed_from == 3
    assert list(resumed.skipped_checkpoints) == ["step-000006"]
    assert Path(name).name in resumed.skipped_checkpoints["step-000006"]  # the message names the file
    err = capsys.readouterr().err
    assert "skipping damaged checkpoint step-000006" in err and Path(name).name in err
    assert "resuming from step-000003" in err
    assert same_weights(resumed.model_dir, straight.model_dir)
    assert [r["loss"] for r in resumed.curve] == [r["loss"] for r in straight.curve]


def test_when_every_checkpoint_is_damaged_resume_refuses_rather_than_start_over(dataset, straight, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(straight.run_dir, run)
    truncate(run / "checkpoints" / "step-000006" / "optimizer.pt")
    (run / "checkpoints" / "step-000003" / "scheduler.pt").unlink()
    with pytest.raises(CorruptCheckpoint, match=r"no intact checkpoint.*step-000006.*optimizer\.pt.*step-000003"):
        train(make_config(dataset, run, resume=True))
    assert (run / "checkpoints" / "step-000006").is_dir()  # nothing was thrown away


def test_resuming_a_full_run_refuses_pickle_weights(dataset, tmp_path):
    run = tmp_path / "run"
    config = make_config(dataset, run, mode="full", steps=1, checkpoint_every=0, warmup_steps=0)
    train(config)
    model = run / "checkpoints" / "step-000001" / "model"
    torch.save(load_file(model / "model.safetensors"), model / "pytorch_model.bin")
    (model / "model.safetensors").unlink()
    with pytest.raises(CorruptCheckpoint, match=r"holds only pickle weights \(pytorch_model\.bin\).*safetensors"):
        train(make_config(dataset, run, mode="full", steps=1, checkpoint_every=0, warmup_steps=0, resume=True))


# --------------------------------------------------------------------------- a moved run folder


class Killed(Exception):
    pass


def kill_at(step_to_die: int):
    def callback(step, row):
        if step == step_to_die:
            raise Killed(step)

    return callback


def test_a_moved_run_folder_resumes_where_it_is_now(dataset, straight, tmp_path, capsys):
    from sf2t.cli import main

    old, new = tmp_path / "old" / "run", tmp_path / "new" / "run"
    with pytest.raises(Killed):
        train(make_config(dataset, old), callback=kill_at(5))
    new.parent.mkdir()
    shutil.move(old, new)
    assert main(["train", "--config", str(new), "--resume"]) == 0
    assert not old.exists()  # nothing written where the folder used to be
    result = json.loads((new / "result.json").read_text())
    assert result["resumed_from"] == 3 and result["run_dir"] == "."  # result.json records its own folder as "."
    assert TrainConfig.from_file(new / "train_config.json").output_dir == str(new)
    adapter_config = json.loads((new / "final" / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == str((new / "base").resolve())
    assert same_weights(new / "final", straight.model_dir)


def test_paths_inside_a_moved_run_folder_move_with_it(tmp_path):
    config = TrainConfig.from_dict(
        {"output_dir": str(tmp_path / "old"), "data": [str(tmp_path / "old" / "data.jsonl"), "elsewhere.jsonl"]}
    )
    moved = config.relocated(tmp_path / "new")
    assert moved.output_dir == str(tmp_path / "new")
    assert [d.path for d in moved.data] == [str(tmp_path / "new" / "data.jsonl"), "elsewhere.jsonl"]


# --------------------------------------------------------------------------- concurrent writers


def test_a_second_run_into_a_locked_folder_is_refused(dataset, tmp_path, capsys):
    from filelock import FileLock

    from sf2t.cli import main

    run = tmp_path / "run"
    run.mkdir()
    with FileLock(lock_path(run), timeout=0):  # another run holds the folder
        with pytest.raises(RunFolderBusy, match=r"being written by another training run"):
            train(make_config(dataset, run, steps=1))
        config = tmp_path / "cfg.json"
        make_config(dataset, run, steps=1).to_json(config)
        assert main(["train", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sf2t train: ") and "another training run" in err and "\n" not in err
    assert list(run.iterdir()) == []  # the refused runs wrote nothing
    assert train(make_config(dataset, run, steps=1)).steps == 1  # free again once released
    assert not [p for p in run.rglob("*.lock")]  # and a finished run folder holds only what the run wrote


def test_files_are_replaced_through_temporary_files_of_their_own(tmp_path, monkeypatch):
    import os

    seen = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (seen.append(Path(src).name), real(src, dst)))
    write_atomic(tmp_path / "state.json", "1")
    write_atomic(tmp_path / "state.json", "2")
    assert (tmp_path / "state.json").read_text() == "2" and [p.name for p in tmp_path.iterdir()] == ["state.json"]
    assert len(set(seen)) == 2 and "state.json.tmp" not in seen
