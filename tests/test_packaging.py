"""The environment files agree with each other and the package exposes its command."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_pins_equal_pyproject_pins():
    deps = set(_pyproject()["project"]["dependencies"])
    text = (ROOT / "environment.yml").read_text()
    pip_pins = set(re.findall(r"^\s+- ([A-Za-z0-9_.\-]+==[^#\n]+?)\s*$", text, flags=re.M))
    assert pip_pins == deps
    assert re.search(r"^\s+- python=3\.11\s*$", text, flags=re.M)
    assert re.search(r"^\s+- pip\s*$", text, flags=re.M)
    assert "conda-forge" in text


def test_every_dependency_is_pinned_exactly():
    project = _pyproject()["project"]
    for req in project["dependencies"] + [r for g in project["optional-dependencies"].values() for r in g]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.+\-]*(; [a-z_]+ == '[a-z0-9_]+')?", req), req


def test_torch_and_torchvision_are_the_consistent_pair():
    deps = _pyproject()["project"]["dependencies"]
    assert "torch==2.14.1" in deps and "torchvision==0.29.1" in deps


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "nox -s tests" in (ROOT / "README.md").read_text()
    assert re.search(r"^nox -s tests\s*$", ci, flags=re.M)


def test_console_script_lists_subcommands():
    out = subprocess.run([sys.executable, "-m", "sf2t.cli", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    for name in ("synth", "tasks", "train", "evaluate"):
        assert name in out.stdout
    assert _pyproject()["project"]["scripts"]["sf2t"] == "sf2t.cli:main"


def test_cli_without_command_prints_help_and_fails():
    from sf2t.cli import main

    assert main([]) == 2


def test_decord_then_torch_does_not_crash():
    """decord2 3.4.0 preloads libnvblas globally and crashed torch when imported first; the
    pinned decord must not (README, results/perf/decord_variants.json)."""
    code = (
        "from sf2t import video; video._decord_available(); import torch; "
        "a = torch.randn(32, 32); print(float((a @ a).sum()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_tables_shown_in_the_readme_are_the_generated_files():
    """README blocks between ``<!-- include paper/tables/X.md -->`` and ``<!-- end include -->`` are copies of
    generated tables (`nox -s reproduce` rewrites the files): a copy that drifted would show stale numbers."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- include (\S+) -->\n(.*?)<!-- end include -->", readme, flags=re.S)
    for path, text in blocks:
        assert text.strip() == (ROOT / path).read_text(encoding="utf-8").strip(), f"README's copy of {path} is stale"
