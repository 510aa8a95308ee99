"""The training entry point under ``accelerate launch`` with two CPU processes (DDP over gloo).

accelerate 1.15 starts a single process for ``--cpu --num_processes 2`` unless an MPI hostfile is
given; ``--multi_gpu --num_processes 2`` on a machine without GPUs starts two torchrun processes
that train on the CPU over gloo (``cpu: true`` in the config). The run folder must have the same
layout as a single-process run, plus one RNG file per process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sf2t import world
from sf2t.common.records import write_jsonl
from sf2t.train import TrainConfig, train
from sf2t.world.captions import caption_records

ROOT = Path(__file__).resolve().parents[1]


def listing(run_dir: Path) -> set[str]:
    return {str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file() and "/rng/" not in str(p)}


@pytest.mark.slow
def test_two_process_cpu_run_matches_the_single_process_format(tmp_path):
    accelerate = shutil.which("accelerate", path=str(Path(sys.executable).parent))
    assert accelerate, "the accelerate launcher is part of the environment"
    config = world.WorldConfig(width=64, height=64, num_frames=16, backgrounds=("plain",))
    truths = world.generate(tmp_path / "videos", n=2, split="train", seed=0, config=config, progress=False)
    write_jsonl(tmp_path / "captions.jsonl", caption_records(truths, num_frames=8))
    values = {
        "data": [{"path": str(tmp_path / "captions.jsonl"), "root": str(tmp_path / "videos")}],
        "model": "tiny:qwen2_vl",
        "steps": 3,
        "batch_size": 2,
        "checkpoint_every": 2,
        "cpu": True,
        "progress": False,
    }
    (tmp_path / "cfg.json").write_text(json.dumps({**values, "output_dir": str(tmp_path / "ddp")}))

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    cmd = [
        accelerate,
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "sf2t.train",
        "--config",
        str(tmp_path / "cfg.json"),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("trained 3 steps") == 1  # only the main process reports

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = train(TrainConfig.from_dict({**values, "output_dir": str(tmp_path / "single")}))
    finally:
        torch.set_num_threads(threads)

    ddp_dir = tmp_path / "ddp"
    result = json.loads((ddp_dir / "result.json").read_text())
    assert result["distributed"]["num_processes"] == 2 and result["distributed"]["backend"] == "gloo"
    assert single.distributed["num_processes"] == 1
    assert listing(ddp_dir) == listing(single.run_dir)
    for step in ("step-000002", "step-000003"):
        rng = sorted(p.name for p in (ddp_dir / "checkpoints" / step / "rng").iterdir())
        assert rng == ["rank-0.pt", "rank-1.pt"]
        state = json.loads((ddp_dir / "checkpoints" / step / "trainer_state.json").read_text())
        assert state["world_size"] == 2
    rows = json.loads((ddp_dir / "loss.json").read_text())["rows"]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert rows[0]["samples_per_s"] > 0 and all(r["loss"] > 0 for r in rows)
    adapter = json.loads((ddp_dir / "final" / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == str((ddp_dir / "base").resolve())
