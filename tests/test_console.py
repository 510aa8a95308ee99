"""What a long run prints: every notebook's output and progress bars as it runs, and none of the
warnings that used to repeat in it (transformers' deprecated ``is_gradient_checkpointing`` read by
peft, "Kernel is running over TCP", tqdm's "IProgress not found", nox's "uv binary not found")."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_wrapping_and_loading_an_adapter_raise_no_future_warning(tmp_path):
    from sf2t.models import tiny
    from sf2t.models.loading import load
    from sf2t.models.lora import apply_lora, lora_config

    llm = tiny("qwen2_vl", seed=0)
    llm.save(tmp_path / "base")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        adapted = apply_lora(llm, lora_config(llm, rank=2))
        adapted.model.save_pretrained(tmp_path / "adapter")
        load(tmp_path / "base", adapter=tmp_path / "adapter")
    assert not [w for w in caught if "is_gradient_checkpointing" in str(w.message)]


def test_the_package_draws_text_progress_bars():
    """tqdm.auto picks a Jupyter widget in a kernel and, without ipywidgets, warns "IProgress not found"
    and falls back to text anyway; plain tqdm bars read the same on a console and in papermill's log."""
    auto = re.compile(r"from tqdm\.auto import|import tqdm\.auto|from tqdm import auto")
    offenders = [p.relative_to(ROOT).as_posix() for p in ROOT.glob("sf2t/**/*.py") if auto.search(p.read_text())]
    assert not offenders


@pytest.mark.slow
def test_a_notebook_run_for_reproduce_logs_its_output_and_no_tcp_warning(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("n = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("from tqdm import tqdm\nfor _ in tqdm(range(n)): pass\nprint('counted', n)"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "in.ipynb")
    run = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "run_notebook.py"), str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"),
         "--kernel", "python3", "--cwd", str(tmp_path), "-p", "n", "3"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "counted 3" in run.stderr and "3/3" in run.stderr  # the cell's output and its bar, as they come
    assert "running over TCP" not in run.stderr


def test_the_noxfile_drops_noxs_uv_probe_message():
    pytest.importorskip("nox")
    import importlib.util

    spec = importlib.util.spec_from_file_location("sf2t_noxfile", ROOT / "noxfile.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    logger = logging.getLogger("nox")
    assert not logger.filter(logging.LogRecord("nox", logging.INFO, __file__, 1, "uv binary not found.", None, None))
    assert logger.filter(logging.LogRecord("nox", logging.INFO, __file__, 1, "Running session tests", None, None))
