"""The training benchmark's step profile runs and records what `results/perf/train.json` reports."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def _benchmark():
    spec = importlib.util.spec_from_file_location("train_benchmark", ROOT / "benchmarks" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_step_profile_records_flops_mfu_the_breakdown_and_ratios(tmp_path):
    bench = _benchmark()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        paths = bench.make_profile_data(tmp_path / "data", 2)
        row = bench.step_profile("qwen2_vl", "sf2t_lora", paths[16], tmp_path, bench.WARMUP + 1, threads=1)
    finally:
        torch.set_num_threads(before)
    assert row["flops_per_step"]["answer_positions_loss"] < row["flops_per_step"]["model_loss"]
    assert 0 < row["mfu"]["step"] <= row["mfu"]["forward_backward"] and row["matmul_share_of_flops"] > 0.5
    parts = row["step_s_median"]["after"]
    assert set(parts) == {"data", "forward", "backward", "optimizer", "total"} and parts["total"] > 0
    assert set(row["ratios"]) == {
        "after_over_before",
        "cache_only_over_before",
        "answer_loss_only_over_before",
        "fused_adamw_only_over_before",
    }
    assert row["sample_cache"]["records_kept"] > 0
    projections = bench.projections([row])
    assert "projection" in projections["label"] and projections["four_bases_from_scratch_min_after"] is None
