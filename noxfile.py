"""Sessions: tests, lint, notebooks, reproduce, crosscheck.

Every dependency comes from ``pyproject.toml`` (the package, its extras, and
``[tool.sf2t.nox]``): no session carries a hand-written pin that could drift.

One virtualenv holds the package: ``.nox/tests`` (about 6.3 GB, most of it the CUDA build of the
pinned torch). ``tests`` makes it; ``reproduce`` and the sf2t side of ``crosscheck`` reuse it
(they run ``nox -s tests --install-only`` first), so the machine keeps one copy of torch.

    nox -s tests                         # the whole test suite
    nox -s reproduce                     # notebooks 00-05 headless, profile "mini"
    nox -s reproduce -- 00 03            # selected notebooks
    nox -s reproduce -- --profile quick  # another profile (quick | mini | full | paper)
    nox -s docs                          # the book of the executed notebooks, checked in headless Chromium
    nox -s docs -- --notebooks results/executed/quick  # the book of another profile's executed copies
    nox -s crosscheck                    # lmms-eval (own virtualenv) against `sf2t evaluate` on exported items
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "results" / "executed"  # other profiles' executed notebooks (git-ignored)
BOOK_NOTEBOOKS = ROOT / "docs" / "notebooks"  # the default profile's executed notebooks, committed for readers
DEFAULT_PROFILE = "mini"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
NOX_PINS = PYPROJECT["tool"]["sf2t"]["nox"]
PROFILES = ("quick", "mini", "full", "paper")
KERNEL = "sf2t-nox"
SHARED = "tests"  # the session whose virtualenv every session that needs sf2t uses
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
# nox looks for uv before every command and logs "uv binary not found." each time; we use pip.
logging.getLogger("nox").addFilter(lambda record: "uv binary not found" not in record.getMessage())


def _requirement(name: str) -> str:
    """The exact pin of ``name`` as written in pyproject.toml (any list in it)."""
    lists = [PYPROJECT["project"]["dependencies"], *PYPROJECT["project"]["optional-dependencies"].values()]
    for req in (r for group in lists for r in group):
        if re.split(r"[=<>!~\[ ;]", req, maxsplit=1)[0].lower() == name.lower():
            return req
    raise KeyError(f"{name} is not pinned in pyproject.toml")


def _install_package(session: nox.Session) -> None:
    """sf2t with its test extras, the test data installed without dependencies, and a Jupyter
    kernel of this virtualenv (for reproduce): the shared environment."""
    venv = Path(session.virtualenv.location)
    first = not (venv / "bin" / "sf2t").exists()
    session.log(
        f"installing sf2t and its exact pins from pyproject.toml into {_shown(venv)}: "
        + (
            f"the first time about 6.3 GB ({_requirement('torch')} is a CUDA build) and 3-4 minutes"
            if first
            else "already there, only checked (seconds)"
        )
    )
    session.install("-e", ".[test]", silent=not first)
    session.log(f"installing {', '.join(NOX_PINS['no_deps_test'])} without dependencies (its sample videos only)")
    session.install("--no-deps", *NOX_PINS["no_deps_test"])
    session.run_install(
        "python", "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL, "--display-name", KERNEL, silent=True
    )


def _shown(path: Path) -> str:
    """``path`` relative to the checkout when it is inside it (nox's --envdir may point elsewhere)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole pytest suite; its virtualenv is the one every other sf2t session reuses."""
    _install_package(session)
    session.run("pytest", *session.posargs, env=OFFLINE)


def _shared_env(session: nox.Session) -> Path:
    """The ``tests`` session's virtualenv, made or brought up to date first."""
    envdir = session.cache_dir.parent  # nox's --envdir (.nox by default)
    session.log(f"using the shared environment {envdir.name}/{SHARED} (nox -s {SHARED} --install-only)")
    session.run_install(
        sys.executable, "-m", "nox", "--noxfile", __file__, "--envdir", str(envdir), "-s", SHARED, "--install-only",
        external=True,
    )  # fmt: skip
    return envdir / SHARED


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
    selected, profile = [], DEFAULT_PROFILE
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


@nox.session(venv_backend="none")
def reproduce(session: nox.Session) -> None:
    """Convert each paired notebook and execute it with papermill, in order, on the shared
    environment's kernel, every cell's output on the console. The executed copy, with its outputs
    and figures, is cleaned of what changes from run to run (.ci/clean_notebook.py) and kept: for
    the default profile in docs/notebooks/ (committed: what readers and `nox -s docs` show), for
    another profile in results/executed/<profile>/ (git-ignored). The notebooks write paper/
    because this session passes it (paper_dir): a notebook run by hand writes to results/scratch/."""
    try:
        selected, profile = _parse_reproduce_args(list(session.posargs))
    except ValueError as exc:
        session.error(str(exc))
    venv = _shared_env(session)
    env = {
        **OFFLINE,
        "JUPYTER_PATH": str(venv / "share" / "jupyter"),
        # figures go into the executed notebook (plt.show()), whatever backend the caller's shell sets
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "TQDM_MININTERVAL": "5",  # a progress bar logs a line every 5 s, not every 0.1 s
    }
    books = _paired_notebooks()
    if selected:
        books = [b for b in books if any(b.name.startswith(s) or b.stem == s for s in selected)]
        if not books:
            session.error(f"no notebook matches {selected}")
    executed_dir = BOOK_NOTEBOOKS if profile == DEFAULT_PROFILE else EXECUTED / profile  # never mini's copies
    executed_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(session.create_tmp())
    seconds: dict[str, float] = {}
    for py in books:
        converted, executed = tmp / py.with_suffix(".ipynb").name, tmp / f"executed-{py.stem}.ipynb"
        executed.unlink(missing_ok=True)
        session.run(venv / "bin" / "jupytext", "--to", "ipynb", "--output", str(converted), str(py), silent=True)
        session.log(f"running {py.name} (profile {profile}); its output follows")
        t0 = time.perf_counter()
        session.run(
            venv / "bin" / "python", ".ci/run_notebook.py", str(converted), str(executed),
            "--kernel", KERNEL, "--cwd", str(NOTEBOOKS),
            "-p", "profile", profile, "-p", "paper_dir", str(ROOT / "paper"),
            env=env,
        )  # fmt: skip
        if not executed.is_file():  # under --install-only nothing ran
            continue
        seconds[py.stem] = round(time.perf_counter() - t0, 1)
        kept = executed_dir / converted.name
        session.run(
            venv / "bin" / "python", ".ci/clean_notebook.py", str(executed), "--root", str(ROOT), "--venv", str(venv),
            silent=True,
        )  # fmt: skip
        if not kept.is_file() or kept.read_bytes() != executed.read_bytes():  # unchanged: not even its mtime
            kept.write_bytes(executed.read_bytes())
        session.log(f"executed copy: {_shown(kept)}")
    if seconds and not selected:  # a partial run would replace the whole run's record with part of it
        _record_times(profile, seconds)
    if profile == DEFAULT_PROFILE:
        _refresh_readme_tables()


BROWSER = ("/usr/bin/chromium", "/usr/bin/chromedriver")  # Debian's chromium and chromium-driver


def _ensure_browser(session: nox.Session) -> None:
    """Debian's chromium and its driver, installed with apt-get when missing (as root), never downloaded."""
    if all(Path(p).is_file() for p in BROWSER):
        return
    if os.geteuid() != 0 or not Path("/usr/bin/apt-get").is_file():
        session.error("the book's check needs Debian's chromium: apt-get install -y chromium chromium-driver")
    session.log("installing Debian's chromium and chromium-driver with apt-get (about 300 MB, a minute or two)")
    session.run_install("apt-get", "update", "-qq", external=True)
    session.run_install("apt-get", "install", "-y", "-qq", "chromium", "chromium-driver", external=True)


@nox.session(python="3.11", default=False)
def docs(session: nox.Session) -> None:
    """The book: a static site (Sphinx + MyST-NB, docs/conf.py) of README.md, paper/README.md,
    docs/method.md and the executed notebooks of docs/notebooks/ (written by `nox -s reproduce`),
    with their stored outputs: nothing is executed. Built into docs/_build/html/, then every page
    is opened in headless Chromium (.ci/check_book.py): no console error, every image there and
    non-empty, every link to a page of the book alive; docs/_build/landing.png is the landing page.
    ``-- --notebooks DIR`` shows other executed copies (e.g. results/executed/quick)."""
    args = list(session.posargs)
    notebooks = Path(args[args.index("--notebooks") + 1]) if "--notebooks" in args else BOOK_NOTEBOOKS
    session.install(*PYPROJECT["project"]["optional-dependencies"]["docs"])
    _ensure_browser(session)
    out = ROOT / "docs" / "_build"
    session.run("python", ".ci/build_book.py", "--notebooks", str(notebooks), "--out", str(out))
    session.run("python", ".ci/check_book.py", str(out / "html"), "--screenshot", str(out / "landing.png"))


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


@nox.session(python="3.11", default=False)
def crosscheck(session: nox.Session) -> None:
    """A real client runs the export: lmms-eval, in this session's own virtualenv, answers the
    items of a small exported FineVidBench-mini with a Qwen2-VL base; `sf2t evaluate --mode generate`
    answers the same items with the same base in the shared environment; the per-item agreement
    is recorded in results/crosscheck/. ``-- --limit N`` sets the number of items (default 40)."""
    limit = session.posargs[session.posargs.index("--limit") + 1] if "--limit" in session.posargs else "40"
    venv = _shared_env(session)
    constraints = Path(session.create_tmp()) / "constraints.txt"  # the model code sf2t runs, not the newest
    constraints.write_text("\n".join(_requirement(n) for n in NOX_PINS["crosscheck_same_as_sf2t"]) + "\n")
    wanted = [*NOX_PINS["crosscheck"], _requirement("decord")]
    session.log(f"installing {', '.join(wanted)} into {Path(session.virtualenv.location).name} (a few minutes)")
    session.install("-c", str(constraints), *wanted, silent=False)
    work = Path(session.create_tmp()) / "work"
    script = [venv / "bin" / "python", ".ci/crosscheck.py"]
    session.run(*script, "prepare", "--work", str(work), "--limit", limit, env=OFFLINE, external=True)
    plan = json.loads((work / "plan.json").read_text()) if (work / "plan.json").is_file() else {}
    if plan:  # not under --install-only
        session.run(
            "lmms-eval", "eval", "--model", "qwen2_vl",
            "--model_args", f"pretrained={plan['base']},device=cpu,device_map=cpu,max_num_frames={plan['max_frames']}",
            "--include_path", plan["task_dir"], "--tasks", plan["task"], "--limit", limit, "--batch_size", "1",
            "--log_samples", "--output_path", str(work / "lmms_eval_output"),
            env={**OFFLINE, "HF_DATASETS_OFFLINE": "1"},
        )  # fmt: skip
    session.run(*script, "compare", "--work", str(work), env=OFFLINE, external=True)
