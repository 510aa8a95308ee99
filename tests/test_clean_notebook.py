"""The cleaner of executed notebooks (.ci/clean_notebook.py), which `nox -s reproduce` runs before it keeps
a copy: it removes each kind of volatile content, keeps outputs and figures, and is idempotent."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("clean_notebook", ROOT / ".ci" / "clean_notebook.py")
clean_notebook = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clean_notebook)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n/work/not/a/path in base64 /tmp/x").decode()


def _code(source: str, outputs: list[dict], cell_id: str = "a1b2c3d4", **metadata) -> dict:
    return {"cell_type": "code", "id": cell_id, "source": source, "execution_count": 3, "outputs": outputs,
            "metadata": {"execution": {"iopub.status.busy": "2026-12-03T09:54:37.735017Z"},
                         "papermill": {"duration": 0.01, "start_time": "2026-12-03T09:54:37+00:00",
                                       "end_time": "2026-12-03T09:54:38+00:00", "exception": False,
                                       "status": "completed"}, **metadata}}  # fmt: skip


def _stdout(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def _notebook(root: Path, venv: Path, *cells: dict) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "cells": list(cells),
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "papermill": {"duration": 5.8, "start_time": "2026-12-03T09:54:37.1+00:00",
                                       "end_time": "2026-12-03T09:54:42.9+00:00", "environment_variables": {},
                                       "input_path": f"{root}/notebooks/00.ipynb", "output_path": "/tmp/out.ipynb",
                                       "parameters": {"profile": "mini", "paper_dir": f"{root}/paper"},
                                       "version": "2.7.0"}}}  # fmt: skip


@pytest.fixture
def places(tmp_path):
    root = tmp_path / "checkout"
    return root, root / ".nox" / "tests", clean_notebook.Cleaner(root, root / ".nox" / "tests")


def _clean(nb: dict, cleaner) -> dict:
    return json.loads(clean_notebook.dumps(clean_notebook.clean(nb, cleaner)))


def _outputs(nb: dict) -> str:
    return json.dumps([c.get("outputs") for c in nb["cells"]], ensure_ascii=False)


def test_cleaning_a_clean_notebook_changes_nothing(places, tmp_path):
    root, venv, cleaner = places
    messy = _notebook(root, venv, _code("x = 1", [
        _stdout(f"figure: {root}/paper/figures/a.png\nmade in 3.2 s (22.7 samples/s) -> /tmp/sf2t_demo_qdswkond\n"),
        {"output_type": "stream", "name": "stderr", "text": "\rruns:   0%|          | 0/23 [00:00<?, ?run/s]"},
        {"output_type": "stream", "name": "stderr", "text": "\rruns: 100%|██████████| 23/23 [00:31<00:00, 1.4s/run]\n"},
        {"output_type": "display_data", "data": {"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"},
         "metadata": {}},
    ]))  # fmt: skip
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(messy))
    assert clean_notebook.clean_file(path, cleaner) is True
    once = path.read_bytes()
    assert clean_notebook.clean_file(path, cleaner) is False
    assert path.read_bytes() == once


def test_outputs_and_figures_are_kept(places):
    root, venv, cleaner = places
    figure = {"output_type": "display_data", "data": {"image/png": PNG, "text/plain": "<Figure>"}, "metadata": {}}
    result = {"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": "0.25"}, "metadata": {}}
    nb = _clean(_notebook(root, venv, _code("show()", [_stdout("accuracy 0.188\n"), figure, result])), places[2])
    cell = nb["cells"][0]
    assert cell["outputs"] == [_stdout("accuracy 0.188\n"), figure, result]  # the PNG's bytes untouched
    assert cell["execution_count"] == 3 and cell["source"] == "show()"


def test_execution_times_and_dates_are_removed(places):
    root, venv, cleaner = places
    nb = _clean(_notebook(root, venv, _code("x = 1", [])), cleaner)
    text = json.dumps(nb)
    assert "2026-12-03" not in text and "duration" not in text
    assert "execution" not in nb["cells"][0]["metadata"]
    assert nb["metadata"]["papermill"] == {"parameters": {"profile": "mini", "paper_dir": "paper"}, "version": "2.7.0"}


def test_random_cell_ids_become_ids_of_the_cells_content(places):
    root, venv, cleaner = places
    first = _clean(_notebook(root, venv, _code("x = 1", [], "5f3a9c01"), _code("x = 1", [], "77aa00bb")), cleaner)
    second = _clean(_notebook(root, venv, _code("x = 1", [], "0c0ffee0"), _code("x = 1", [], "12345678")), cleaner)
    ids = [c["id"] for c in first["cells"]]
    assert ids == [c["id"] for c in second["cells"]] and len(set(ids)) == 2


def test_kernel_connection_files_lose_their_random_id(places):
    root, venv, cleaner = places
    text = "connected to /root/.local/share/jupyter/runtime/kernel-0f8e3b2a-1c4d-4e5f-9a6b-7c8d9e0f1a2b.json\n"
    nb = _clean(_notebook(root, venv, _code("x", [_stdout(text)])), cleaner)
    assert "0f8e3b2a" not in _outputs(nb) and "kernel-<id>.json" in _outputs(nb)


def test_absolute_paths_of_the_machine_are_removed(places):
    root, venv, cleaner = places
    text = (f"figure: {root}/paper/figures/a.pdf\n{venv}/lib/python3.11/site-packages/tqdm/auto.py:21: Warning\n"
            f"world -> /tmp/sf2t_world_demo_qdswkond\n{Path(sys.base_prefix)}/lib/python3.11/asyncio/x.py\n"
            f"cwd {root}\n")  # fmt: skip
    source = f'paper_dir = "{root}/paper"\n'
    nb = _clean(_notebook(root, venv, _code(source, [_stdout(text)])), cleaner)
    out = nb["cells"][0]["outputs"][0]["text"]
    assert out == (
        "figure: paper/figures/a.pdf\n<venv>/lib/python3.11/site-packages/tqdm/auto.py:21: Warning\n"
        "world -> <tmp>/sf2t_world_demo_XXXXXXXX\n<python>/lib/python3.11/asyncio/x.py\ncwd .\n"
    )
    assert nb["cells"][0]["source"] == 'paper_dir = "paper"\n'
    assert str(root) not in json.dumps(nb) and "/tmp/" not in json.dumps(nb)


def test_progress_bars_keep_only_their_finished_state_without_timing(places):
    root, venv, cleaner = places
    bars = [
        "\rbases:   0%|          | 0/4 [00:00<?, ?run/s]",
        "\rLoading weights:   0%|          | 0/46 [00:00<?, ?it/s]",
        "\x1b[A",
        "\rLoading weights: 100%|██████████| 46/46 [00:00<00:00, 35381.99it/s]",
        "\n",
        "\rbases:  75%|███████▌  | 3/4 [00:05<00:01,  1.67s/run]\n",
        "\rbases: 100%|██████████| 4/4 [00:05<00:00,  1.50s/run]",
        "\rbases: 100%|██████████| 4/4 [00:05<00:00,  1.49s/run]\n",
    ]
    outputs = [{"output_type": "stream", "name": "stderr", "text": t} for t in bars]
    nb = _clean(_notebook(root, venv, _code("run()", outputs)), cleaner)
    assert nb["cells"][0]["outputs"] == [
        {"output_type": "stream", "name": "stderr", "text": "bases: 100%|██████████| 4/4\n"}
    ]


def test_printed_durations_and_the_git_commit_are_masked(places):
    root, venv, cleaner = places
    text = ("done in 39 s; results in results/experiment/mini\nSF²T trained in 4 s (22.7 samples/s)\n"
            "timings (s): {'worlds': 0.2, 'base': 3.0}\n12 clips of 32 frames at 112x112 in 0.2 s\n"
            '{"commit": "eecf3acc69d6d044a14b8cbf7c5308fcdebdc519", "dirty": true}\n')  # fmt: skip
    nb = _clean(_notebook(root, venv, _code("x", [_stdout(text)])), cleaner)
    assert nb["cells"][0]["outputs"][0]["text"] == (
        "done in … s; results in results/experiment/mini\nSF²T trained in … s (… samples/s)\n"
        "timings (s): {…}\n12 clips of 32 frames at 112x112 in … s\n"
        '{"commit": "<commit>", "dirty": <dirty>}\n'
    )


def test_a_stage_that_ran_and_one_that_was_reused_read_the_same(places, tmp_path):
    """The stage cache's own messages (sf2t.common.stage_cache), so the two cannot drift apart."""
    from sf2t.common.stage_cache import run_stage

    root, venv, cleaner = places
    said: list[str] = []
    for _ in range(2):
        run_stage("worlds", tmp_path / "cache" / "worlds", {"n": 1}, lambda out: {}, log=said.append, code=False)
    assert "running in" in said[0] and "reusing finished stage" in said[1]
    ran, reused = (cleaner.stream(cleaner.paths(line + "\n")) for line in said)
    assert ran == reused and ran.startswith("[worlds] stage folder ")
