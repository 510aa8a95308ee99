"""`nox -s reproduce` in miniature: every notebook, in order, headless with papermill under the
``quick`` profile, into a temporary results and paper folder (the committed ``paper/`` is never
touched); then the experiment and report notebooks again, which must reuse every finished stage and
regenerate the same tables and figures byte for byte."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TABLES = ("experiment_bench_stats", "base_competence", "main_results", "sft_sf2t_comparison",
          "ablation_leave_one_task_out", "finevidbench_stats", "blind_control", "positive_control",
          "sf2t_task_learning", "video_vs_blind", "scoring_formulations", "frame_count_control")
FIGURES = ("sf2t_per_category", "accuracy_vs_frames", "accuracy_vs_speed", "video_world", "fragment_tasks",
           "finevidbench_overview", "base_training")

pytestmark = pytest.mark.slow


def _execute(py: Path, out_dir: Path, **parameters) -> float:
    import jupytext
    import papermill

    notebook = out_dir / py.with_suffix(".ipynb").name
    jupytext.write(jupytext.read(py), notebook)
    t0 = time.perf_counter()
    papermill.execute_notebook(str(notebook), str(notebook), parameters=parameters, cwd=str(NOTEBOOKS),
                               progress_bar=False, log_output=False)
    return time.perf_counter() - t0


def _files(paper: Path) -> dict[str, bytes]:
    return {p.relative_to(paper).as_posix(): p.read_bytes() for p in sorted(paper.rglob("*")) if p.is_file()}


def test_quick_profile_reproduces_every_artifact_and_a_rerun_is_byte_identical(tmp_path):
    pytest.importorskip("papermill")
    results, paper, executed = tmp_path / "results", tmp_path / "paper", tmp_path / "executed"
    executed.mkdir()
    params = {"profile": "quick", "results_dir": str(results), "paper_dir": str(paper)}
    books = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    assert [b.name[:2] for b in books if b.name[:2] in ("00", "01", "03", "04", "05")] == ["00", "01", "03", "04", "05"]
    seconds = {b.stem: _execute(b, executed, **params) for b in books}
    print("quick profile, seconds per notebook:", {k: round(v, 1) for k, v in seconds.items()})

    for stem in TABLES:
        for ext in ("csv", "md", "tex"):
            assert (paper / "tables" / f"{stem}.{ext}").stat().st_size > 0, f"{stem}.{ext} missing"
    for stem in FIGURES:
        for ext in ("pdf", "png"):
            assert (paper / "figures" / f"{stem}.{ext}").stat().st_size > 0, f"{stem}.{ext} missing"
    assert (results / "experiment" / "quick" / "summary.json").is_file()
    main_md = (paper / "tables" / "main_results.md").read_text()
    assert "results/experiment/quick/summary.json" in main_md  # every table names its source

    first = _files(paper)
    summary = (results / "experiment" / "quick" / "summary.json").read_bytes()
    again = tmp_path / "paper-again"
    rerun = {"profile": "quick", "results_dir": str(results), "paper_dir": str(again)}
    for stem in ("04_experiments", "05_paper"):
        seconds[f"{stem} (rerun)"] = _execute(NOTEBOOKS / f"{stem}.py", executed, **rerun)
    assert (results / "experiment" / "quick" / "summary.json").read_bytes() == summary
    second = _files(again)
    made_by_05 = {k: v for k, v in first.items() if k in second}
    assert made_by_05 and set(second) <= set(first)
    assert {k for k in second if k.startswith("tables/")} >= {f"tables/{s}.md" for s in TABLES[:5]}
    changed = [k for k in second if second[k] != made_by_05[k]]
    assert not changed, f"a rerun with the same seeds changed {changed}"
    assert seconds["04_experiments (rerun)"] < seconds["04_experiments"]  # every stage reused
