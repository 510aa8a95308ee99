"""`nox -s reproduce` in miniature: every notebook, in order, headless with papermill under the
``quick`` profile, into a temporary results and paper folder (the committed ``paper/`` is never
touched); then the experiment and report notebooks again, which must reuse every finished stage and
regenerate the same tables and figures byte for byte, and the experiment notebook's executed copy, cleaned
as `nox -s reproduce` keeps it, must not change. Also what a newcomer runs by hand: a notebook
from outside the checkout, and the README's training example."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import sys
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
PROFILE_FREE_FIGURES = ("video_world", "fragment_tasks")  # notebooks 00 and 01: the same under every profile
COMMITTED = ("bases", "experiment", "finevidbench", "perf")  # the folders of results/ the repository commits

pytestmark = pytest.mark.slow


def _execute(py: Path, folder: Path, cwd: Path = NOTEBOOKS, **parameters) -> float:
    import jupytext
    import papermill

    notebook = folder / py.with_suffix(".ipynb").name
    jupytext.write(jupytext.read(py), notebook)
    t0 = time.perf_counter()
    papermill.execute_notebook(str(notebook), str(notebook), parameters=parameters, cwd=str(cwd),
                               progress_bar=False, log_output=False)
    return time.perf_counter() - t0


def _cleaned(notebook: Path) -> str:
    """``notebook`` as `nox -s reproduce` keeps it: cleaned by .ci/clean_notebook.py."""
    spec = importlib.util.spec_from_file_location("clean_notebook", ROOT / ".ci" / "clean_notebook.py")
    cleaner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cleaner)
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return cleaner.dumps(cleaner.clean(nb, cleaner.Cleaner(ROOT, Path(sys.prefix))))


def _files(paper: Path) -> dict[str, bytes]:
    return {p.relative_to(paper).as_posix(): p.read_bytes() for p in sorted(paper.rglob("*")) if p.is_file()}


def _naming_machine_folders(results: Path, machine: Path) -> list[str]:
    """Files of ``results`` that name ``machine``: every file of the folders the repository commits
    (bases, experiment and benchmark results, timings) and every stage marker of the git-ignored cache
    (not its videos, checkpoints and adapters, whose PEFT config names its base absolutely by design)."""
    import gzip

    committed = [p for top in COMMITTED for p in (results / top).rglob("*") if p.is_file()]
    found = []
    for path in sorted(committed + list((results / "cache").rglob("stage.json"))):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        if str(machine).encode() in data:
            found.append(path.relative_to(results).as_posix())
    return found


def test_quick_profile_reproduces_every_artifact_and_a_rerun_is_byte_identical(tmp_path):
    pytest.importorskip("papermill")
    results, paper, executed = tmp_path / "results", tmp_path / "paper", tmp_path / "executed"
    executed.mkdir()
    params = {"profile": "quick", "results_dir": str(results), "paper_dir": str(paper)}
    books = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    assert [b.name[:2] for b in books if b.name[:2] in ("00", "01", "03", "04", "05")] == ["00", "01", "03", "04", "05"]
    seconds = {b.stem: _execute(b, executed, **params) for b in books}
    print("quick profile, seconds per notebook:", {k: round(v, 1) for k, v in seconds.items()})

    quick = paper / "quick"  # a profile other than mini writes below the paper folder, never over mini's files
    for stem in TABLES:
        for ext in ("csv", "md", "tex"):
            assert (quick / "tables" / f"{stem}.{ext}").stat().st_size > 0, f"{stem}.{ext} missing"
    for stem in FIGURES:
        folder = paper if stem in PROFILE_FREE_FIGURES else quick
        for ext in ("pdf", "png"):
            assert (folder / "figures" / f"{stem}.{ext}").stat().st_size > 0, f"{stem}.{ext} missing"
    assert (results / "experiment" / "quick" / "summary.json").is_file()
    main_md = (quick / "tables" / "main_results.md").read_text()
    assert "results/experiment/quick/summary.json" in main_md  # every table names its source
    assert not _naming_machine_folders(results, tmp_path)  # committed results name no folder of this machine

    first = _files(quick)
    summary = (results / "experiment" / "quick" / "summary.json").read_bytes()
    again = tmp_path / "paper-again"
    rerun = {"profile": "quick", "results_dir": str(results), "paper_dir": str(again)}
    experiments = executed / "04_experiments.ipynb"
    kept = _cleaned(experiments)  # the copy `nox -s reproduce` keeps, of a run that computed every stage
    seconds["04_experiments (rerun)"] = _execute(NOTEBOOKS / "04_experiments.py", executed, **params)
    seconds["05_paper (rerun)"] = _execute(NOTEBOOKS / "05_paper.py", executed, **rerun)
    assert (results / "experiment" / "quick" / "summary.json").read_bytes() == summary
    assert _cleaned(experiments) == kept, "the rerun, which reused every stage, changed the executed notebook"
    second = _files(again / "quick")
    made_by_05 = {k: v for k, v in first.items() if k in second}
    assert made_by_05 and set(second) <= set(first)
    assert {k for k in second if k.startswith("tables/")} >= {f"tables/{s}.md" for s in TABLES[:5]}
    changed = [k for k in second if second[k] != made_by_05[k]]
    assert not changed, f"a rerun with the same seeds changed {changed}"
    assert seconds["04_experiments (rerun)"] < seconds["04_experiments"]  # every stage reused


def test_every_notebook_writes_tables_and_figures_only_where_it_is_told():
    """paper/ only when paper_dir says so (`nox -s reproduce` passes it); by hand, results/scratch/<notebook>/."""
    for py in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        text = py.read_text(encoding="utf-8")
        assert not re.search(r'root\s*/\s*"paper"', text), f"{py.name} defaults to the committed paper/"
        for call in re.findall(r"paper_root\(root, [^)]*\)", text):
            assert f'"{py.stem}"' in call, f"{py.name}: {call} does not name its own scratch folder"


def test_a_notebook_run_from_outside_the_checkout_finds_it(tmp_path):
    pytest.importorskip("papermill")
    _execute(NOTEBOOKS / "00_video_world.py", tmp_path, cwd=tmp_path, paper_dir=str(tmp_path / "paper"),
             out_dir=str(tmp_path / "clips"))
    assert (tmp_path / "paper" / "figures" / "video_world.png").is_file()


def test_a_notebook_says_so_when_it_finds_no_checkout(tmp_path):
    pytest.importorskip("papermill")
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError, match="no sf2t checkout"):
        _execute(NOTEBOOKS / "00_video_world.py", tmp_path, cwd=tmp_path, repo_root=str(tmp_path))


def test_the_readme_training_example_runs_on_a_fresh_folder(tmp_path, monkeypatch):
    """The README's training commands as written, run from an empty folder holding only the config,
    in miniature: fewer videos and samples, a tiny random model instead of the base, two steps."""
    import yaml

    from sf2t.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^## Training\n.*?```bash\n(.*?)```", readme, flags=re.S | re.M).group(1)
    commands = [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    assert [c[:2] for c in commands] == [["sf2t", "synth"], ["sf2t", "tasks"]] + [["sf2t", "train"]] * 3
    config = yaml.safe_load((ROOT / "configs" / "train" / "sf2t.yaml").read_text())
    assert config["model"].startswith("results/bases/mini/"), "the example trains on a committed base"
    assert (ROOT / config["model"] / "config.json").is_file(), f"{config['model']} is not in the repository"

    (tmp_path / "configs" / "train").mkdir(parents=True)
    shutil.copy(ROOT / "configs" / "train" / "sf2t.yaml", tmp_path / "configs" / "train")
    monkeypatch.chdir(tmp_path)
    smaller = {"40": "4", "400": "12"}  # --n of synth and tasks
    tiny = ["model=tiny:qwen2_vl", "steps=2", "batch_size=2", "checkpoint_every=1", "warmup_steps=0", "progress=false"]
    for argv in commands:
        argv = [smaller.get(a, a) if argv[k - 1] == "--n" else a for k, a in enumerate(argv)][1:]
        if argv[0] == "train":
            argv += [x for kv in tiny for x in ("--set", kv)]
        assert main(argv) == 0, argv
    for run in ("qwen2_vl", "qwen2_vl-r16"):
        assert (tmp_path / "runs" / "sf2t" / run / "final" / "adapter_config.json").is_file()
