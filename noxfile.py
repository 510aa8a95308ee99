"""Sessions: tests, lint, notebooks, reproduce.

Every dependency comes from ``pyproject.toml`` (the package, its extras, and
``[tool.sf2t.nox]``): no session carries a hand-written pin that could drift.

    nox -s tests                         # the whole test suite
    nox -s reproduce                     # notebooks 00-05 headless, profile "mini"
    nox -s reproduce -- 00 03            # selected notebooks
    nox -s reproduce -- --profile quick  # another profile (quick | mini | full | paper)
"""

from __future__ import annotations

import json
import os
import re
import time
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "results" / "executed"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROFILES = ("quick", "mini", "full", "paper")
KERNEL = "sf2t-nox"

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True


def _requirement(name: str) -> str:
    """The exact pin of ``name`` as written in pyproject.toml (any list in it)."""
    lists = [PYPROJECT["project"]["dependencies"], *PYPROJECT["project"]["optional-dependencies"].values()]
    for req in (r for group in lists for r in group):
        if re.split(r"[=<>!~\[ ;]", req, maxsplit=1)[0].lower() == name.lower():
            return req
    raise KeyError(f"{name} is not pinned in pyproject.toml")


def _install_package(session: nox.Session, extras: str = "") -> None:
    session.install("-e", f".{extras}")
    no_deps = PYPROJECT["tool"]["sf2t"]["nox"]["no_deps_test"]
    if "test" in extras and no_deps:
        session.install("--no-deps", *no_deps)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole pytest suite."""
    _install_package(session, "[test]")
    session.run("pytest", *session.posargs, env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff, and the import-linter contracts that keep the layers of the design apart."""
    session.install("--no-deps", "-e", ".")
    session.install(*PYPROJECT["project"]["optional-dependencies"]["lint"])
    session.run("ruff", "check", "sf2t", "tests", "benchmarks", "notebooks", "noxfile.py")
    session.run("ruff", "format", "--check", "sf2t")
    session.run("lint-imports")


def _paired_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.py"))


@nox.session(python="3.11")
def notebooks(session: nox.Session) -> None:
    """Fail if a notebook's .py and its paired .ipynb differ, or an .ipynb carries outputs."""
    session.install(_requirement("jupytext"))
    session.run("python", ".ci/check_notebooks.py", "notebooks")


def _parse_reproduce_args(posargs: list[str]) -> tuple[list[str], str]:
    selected, profile = [], "mini"
    args = iter(posargs)
    for arg in args:
        if arg == "--profile":
            profile = next(args, "")
        elif arg.startswith("--profile="):
            profile = arg.split("=", 1)[1]
        elif arg.startswith("profile="):
            profile = arg.split("=", 1)[1]
        else:
            selected.append(arg)
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    return selected, profile


@nox.session(python="3.11")
def reproduce(session: nox.Session) -> None:
    """Convert each paired notebook and execute it with papermill, in order, on a kernel of
    this session's own virtualenv; executed copies go to results/executed/."""
    try:
        selected, profile = _parse_reproduce_args(list(session.posargs))
    except ValueError as exc:
        session.error(str(exc))
    _install_package(session)
    venv = Path(session.virtualenv.location)
    session.run("python", "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL, "--display-name", KERNEL)
    env = {
        "JUPYTER_PATH": str(venv / "share" / "jupyter"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "MPLBACKEND": "Agg",
    }
    books = _paired_notebooks()
    if selected:
        books = [b for b in books if any(b.name.startswith(s) or b.stem == s for s in selected)]
        if not books:
            session.error(f"no notebook matches {selected}")
    executed_dir = EXECUTED if profile == "mini" else EXECUTED / profile  # never overwrite mini's copies
    executed_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(session.create_tmp())
    seconds: dict[str, float] = {}
    for py in books:
        converted = tmp / py.with_suffix(".ipynb").name
        session.run("jupytext", "--to", "ipynb", "--output", str(converted), str(py))
        t0, started = time.perf_counter(), time.time()
        session.run(
            "papermill",
            str(converted),
            str(executed_dir / converted.name),
            "-k",
            KERNEL,
            "--cwd",
            str(NOTEBOOKS),
            "-p",
            "profile",
            profile,
            env=env,
        )
        executed = executed_dir / converted.name
        if executed.is_file() and executed.stat().st_mtime >= started:  # not under --install-only
            seconds[py.stem] = round(time.perf_counter() - t0, 1)
    if seconds and not selected:  # a partial run would replace the whole run's record with part of it
        _record_times(profile, seconds)
    if profile == "mini":
        _refresh_readme_tables()


def _refresh_readme_tables() -> None:
    """Rewrite README blocks ``<!-- include paper/tables/X.md -->`` ... ``<!-- end include -->`` with the
    generated files, so the README never shows numbers the last run did not write."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")

    def fill(match: re.Match) -> str:
        path = ROOT / match.group(1)
        body = path.read_text(encoding="utf-8").strip() if path.is_file() else match.group(2).strip()
        return f"<!-- include {match.group(1)} -->\n{body}\n<!-- end include -->"

    readme.write_text(
        re.sub(r"<!-- include (\S+) -->\n(.*?)<!-- end include -->", fill, text, flags=re.S), encoding="utf-8"
    )


def _record_times(profile: str, seconds: dict[str, float]) -> None:
    """Wall time per notebook of this reproduce run, kept per profile in results/perf/reproduce.json."""
    perf = ROOT / "results" / "perf" / "reproduce.json"
    record = json.loads(perf.read_text()) if perf.is_file() else {}
    record[profile] = {
        "seconds_per_notebook": seconds,
        "total_s": round(sum(seconds.values()), 1),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    perf.parent.mkdir(parents=True, exist_ok=True)
    perf.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
