"""Results files name no machine's folders: every path a writer records is relative to the file's
own folder (evaluation configs and aggregates, training run records and configs, base results,
stage markers), and reads back to the right place after the whole tree moves. What changes every
run (git commit, timestamps) is kept out of the files a user commits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import torch  # noqa: F401  (torch before decord: the other order crashes torch)

from sf2t.common.records import portable_path, resolve_portable
from sf2t.common.stage_cache import MARKER, run_stage


def _texts(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*.json"))}


def test_a_path_is_recorded_relative_to_a_shared_folder_and_absolute_across_the_root(tmp_path):
    videos, out = tmp_path / "results" / "cache" / "bench", tmp_path / "results" / "finevidbench" / "run"
    assert portable_path(videos, out) == "../../cache/bench"
    assert resolve_portable("../../cache/bench", out) == str(videos)
    assert portable_path("/", out) == "/"  # nothing in common but the root: kept absolute
    assert resolve_portable("/data/videos", out) == "/data/videos"


class _Blank:
    """A model that always prefers the first letter: enough to write an evaluation folder."""

    family = "blank"

    def letter_scores_batch(self, frames_list, prompts, letters_list, numbered=None, fps=None):
        return [np.linspace(0.0, -1.0, len(letters)) for letters in letters_list]


def test_an_evaluation_folder_names_no_machine_folder_and_reruns_byte_identical(tmp_path):
    from sf2t import world
    from sf2t.bench.build import MiniConfig, build_items
    from sf2t.evaluate import evaluate

    videos = tmp_path / "results" / "cache" / "bench"  # the items name videos/<id>.mp4 under it
    truths = world.generate(videos / "videos", 2, "bench", config=world.WorldConfig(width=32, height=32,
                            num_frames=8), progress=False)
    items = build_items(truths, MiniConfig(n_videos=2, questions_per_video=3))
    items.append({**items[0], "id": "gone", "video": "videos/missing.mp4"})  # its reason names the file
    out = tmp_path / "results" / "finevidbench" / "blank"
    agg = evaluate(_Blank(), items, videos, out, progress=False, n_bootstrap=50,
                   extra_config={"bench": videos / "bench.jsonl"})
    first = _texts(out)
    committed = {k: v for k, v in first.items() if not k.endswith("provenance.json")}
    assert set(committed) == {"config.json", "aggregate.json", "blind/config.json", "blind/aggregate.json"}
    for name, text in committed.items():
        assert str(tmp_path) not in text, f"{name} names a machine folder"
    config = json.loads(first["config.json"])
    assert Path(resolve_portable(config["videos_root"], out)) == videos
    assert config["bench"] == "../../cache/bench/bench.jsonl"
    assert json.loads(first["blind/config.json"])["videos_root"] == "../../../cache/bench"
    reasons = [s["reason"] for s in json.loads(first["aggregate.json"])["skipped"]]
    assert reasons and all("../../cache/bench/videos/missing.mp4" in r for r in reasons), reasons
    assert not {"git", "timestamps"} & set(json.loads(first["aggregate.json"]))
    assert {"git", "timestamps"} <= set(json.loads(first["provenance.json"])) <= set(agg)

    shutil.rmtree(out)
    evaluate(_Blank(), items, videos, out, progress=False, n_bootstrap=50,
             extra_config={"bench": videos / "bench.jsonl"})
    again = _texts(out)
    assert {k: again[k] for k in committed} == committed  # only provenance.json changes between runs


def test_a_run_folder_records_its_paths_relative_and_reads_them_back_after_a_move(tmp_path):
    from sf2t.train import TrainConfig
    from sf2t.train.loop import RunResult

    old = tmp_path / "old"
    (old / "base" / "final").mkdir(parents=True)
    run = old / "runs" / "sft"
    config = TrainConfig(
        model=str(old / "base" / "final"),
        data=[{"path": str(old / "data" / "sft.jsonl"), "root": str(old / "world")}],
        output_dir=str(run),
    )
    config.to_json(run / "train_config.json", relative_to=run)
    saved = json.loads((run / "train_config.json").read_text())
    assert (saved["output_dir"], saved["model"]) == (".", "../../base/final")
    assert saved["data"][0]["path"] == "../../data/sft.jsonl" and saved["data"][0]["root"] == "../../world"
    assert TrainConfig.from_file(run).to_dict() == config.to_dict()

    new = tmp_path / "moved"
    old.rename(new)
    back = TrainConfig.from_file(new / "runs" / "sft")
    assert back.output_dir == str(new / "runs" / "sft") and back.model == str(new / "base" / "final")
    assert back.data[0].path == str(new / "data" / "sft.jsonl")

    hub = TrainConfig(model="Qwen/Qwen2-VL-2B-Instruct", data=["x.jsonl"], output_dir=str(run))
    hub.to_json(tmp_path / "hub" / "train_config.json", relative_to=tmp_path / "hub")
    assert TrainConfig.from_file(tmp_path / "hub").model == "Qwen/Qwen2-VL-2B-Instruct"  # a hub id stays one

    result = RunResult(run_dir=run, model_dir=run / "final", base_dir=str(old / "base" / "final"), steps=1,
                       final_loss=1.0, elapsed_s=1.0, samples_per_s=1.0, last_checkpoint=run / "checkpoints" / "s1")
    recorded = result.to_dict()
    assert (recorded["run_dir"], recorded["model_dir"], recorded["last_checkpoint"]) == (".", "final", "checkpoints/s1")
    assert result.to_dict(relative_to=old / "runs")["model_dir"] == "sft/final"


def test_a_stage_marker_records_its_outputs_relative_and_is_reused_after_a_move(tmp_path):
    calls = []

    def build(out: Path) -> dict:
        calls.append(out)
        (out / "final").mkdir()
        return {"model_dir": str(out / "final"), "elsewhere": "/opt/model", "n": 3}

    first = run_stage("s", tmp_path / "a" / "stage", {"k": 1}, build, log=lambda _: None)
    marker = (tmp_path / "a" / "stage" / MARKER).read_text()
    assert str(tmp_path) not in marker and '"./final"' in marker
    (tmp_path / "a").rename(tmp_path / "b")
    again = run_stage("s", tmp_path / "b" / "stage", {"k": 1}, build, log=lambda _: None)
    assert len(calls) == 1  # reused, not rebuilt
    assert again == {**first, "model_dir": str(tmp_path / "b" / "stage" / "final")}
