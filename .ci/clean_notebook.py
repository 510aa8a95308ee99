"""Clean an executed notebook for the repository: keep its outputs and figures, remove what changes
from run to run or names this machine, so that a rerun with the same seeds rewrites the same bytes.

Removed: execution timestamps and durations (cell and notebook metadata, durations printed in
outputs, the elapsed/rate part of progress bars), random ids (cell ids, replaced by ids made from the
cell's content; a kernel's connection file), the git commit printed beside results, absolute paths of
this machine (the checkout becomes relative, the virtualenv ``<venv>``, the Python installation
``<python>``, the home folder ``~``, the temporary folder ``<tmp>`` with the random part of a
``mkdtemp`` name as ``XXXXXXXX``), terminal control characters (carriage-return redraws and ANSI
escapes: only what a terminal finally shows is kept), the intermediate states of progress bars, and
what depends on the stage cache rather than on the results (whether a stage ran or was reused,
checkpoint-loading bars, tqdm's one-time "no ipywidgets" warning), so a run on a fresh clone and a
rerun on a warm cache read the same. Cleaning a clean notebook changes nothing.

    python .ci/clean_notebook.py NOTEBOOK.ipynb [...] --root CHECKOUT [--venv VENV]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]")
# tqdm's right-hand part: " [00:05<00:01,  1.67s/run]" (elapsed<remaining, rate), or "[00:05]"
PROGRESS_TIMING = re.compile(r" ?\[\d+:\d+(?::\d+)?(?:<[^\]]*)?\]")
# a tqdm bar: "desc:  75%|███████▌  | 3/4" (the bar between pipes may be blank)
PROGRESS_BAR = re.compile(r"^(?P<desc>.*?)\s*\d+%\|[^|]*\|\s*(?P<n>\d+)/(?P<total>\d+)")
# a duration or speed printed by the notebooks: "in 0.2 s", "3 s", "(22.7 samples/s)", "1.67s/run"
DURATION = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?= ?(?:s|ms|min)\b(?!/))")
RATE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?= ?(?:samples|items|it|runs?|steps?|questions)/s\b)")
TIMINGS = re.compile(r"(timings \(s\): )\{[^}\n]*\}")
# the checkout's commit, printed beside an evaluation: it changes with every commit (provenance.json keeps it)
GIT_STATE = re.compile(r"""(["']commit["']: ?["'])[0-9a-f]{7,40}(["'])|(["']dirty["']: ?)(?:true|false|True|False)""")
# sf2t.common.stage_cache: whether a stage ran or was reused depends on the cache, not on the results
STAGE = re.compile(
    r"^\[(?P<name>[^\]\n]+)\] (?:running in (?P<a>.+)|reusing finished stage in (?P<b>.+) \(inputs unchanged\))$"
)
# transformers' progress bar of loading a checkpoint's tensors: how many times it shows depends on the cache
NOISE_BARS = ("Loading weights",)
# tqdm.auto's warning that the kernel has no ipywidgets: true of a headless run, noise for a reader, and
# shown only by the first import of tqdm.auto in a process, which depends on what the stage cache reused
NOISE_WARNING = re.compile(r"TqdmWarning: IProgress not found")
# a kernel's connection file, runtime/kernel-<uuid>.json: a new id every start
KERNEL_ID = re.compile(r"kernel-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled")
KEPT_PAPERMILL = ("parameters", "version")  # of the notebook's papermill metadata; the rest are times and paths
BINARY = re.compile(r"^(image/(?!svg)|application/(?!json|javascript|vnd))")  # base64 payloads: never rewritten


class Cleaner:
    """Text replacements for one checkout, virtualenv and machine, applied to every string."""

    def __init__(self, root: Path, venv: Path | None = None):
        self.root = str(root.resolve())
        places = [(self.root, "."), (str(Path(sys.base_prefix)), "<python>")]
        if venv is not None:
            places.append((str(venv), "<venv>"))
        places += [(str(Path(tempfile.gettempdir()).resolve()), "<tmp>"), ("/tmp", "<tmp>"), (str(Path.home()), "~")]
        # the longest first, so a virtualenv inside the checkout becomes <venv>, not a relative path
        self.places = sorted({p: r for p, r in places if p not in ("", "/")}.items(), key=lambda x: -len(x[0]))

    def paths(self, text: str) -> str:
        for place, replacement in self.places:
            if place == self.root:  # "<root>/paper/x.png" -> "paper/x.png"
                text = text.replace(place + "/", "")
            text = re.sub(re.escape(place) + r"(?=[/\\'\"\s:,)\]}]|$)", replacement, text, flags=re.M)
        text = KERNEL_ID.sub("kernel-<id>", text)
        # mkdtemp("prefix_") appends 8 random characters
        return re.sub(r"(<tmp>/[\w.-]*?[_-])[a-z0-9_]{8}(?=[/'\"\s:,)\]}]|$)", r"\1XXXXXXXX", text, flags=re.M)

    def stream(self, text: str) -> str:
        """What a terminal finally shows, each progress bar once, finished, without its timing."""
        lines, last_bar, skip_source = [], None, False
        for raw in ANSI.sub("", text).split("\n"):
            line = raw.rsplit("\r", 1)[-1]
            if skip_source and line.startswith("  "):
                skip_source = False
                continue  # the source line Python prints under a warning
            skip_source = False
            bar = PROGRESS_BAR.match(line)
            if bar:
                timing = PROGRESS_TIMING.search(line)
                rest = line[timing.end() :] if timing else ""  # what was written after the bar, on its line
                line = PROGRESS_TIMING.sub("", line[: timing.end()] if timing else line).rstrip()
                if bar["n"] != bar["total"] or bar["desc"].strip(" :") in NOISE_BARS or line == last_bar:
                    line = None  # an intermediate state (when drawn depends on the machine), noise, or a redraw
                else:
                    last_bar = line
                if not rest:
                    if line is not None:
                        lines.append(line)
                    continue
                if line is not None:
                    lines.append(line)
                line = rest
            if NOISE_WARNING.search(line):
                skip_source = True
                continue
            if line.strip():
                last_bar = None
                stage = STAGE.match(line)
                if stage:
                    line = f"[{stage['name']}] stage folder {stage['a'] or stage['b']}"
            lines.append(line)
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")  # blank lines left by dropped bars
        return self.durations(text + "\n") if text.strip() else ""

    @staticmethod
    def durations(text: str) -> str:
        text = TIMINGS.sub(r"\1{…}", text)
        return Cleaner.git_state(RATE.sub("…", DURATION.sub("…", text)))

    def text(self, text: str) -> str:
        return self.durations(self.paths(text))

    @staticmethod
    def git_state(text: str) -> str:
        return GIT_STATE.sub(lambda m: f"{m[1]}<commit>{m[2]}" if m[1] else f"{m[3]}<dirty>", text)


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _merged_streams(outputs: list[dict]) -> list[dict]:
    """Consecutive stream outputs of one name as one output, as a notebook front end shows them."""
    merged: list[dict] = []
    for out in outputs:
        if out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream" \
                and merged[-1].get("name") == out.get("name"):  # fmt: skip
            merged[-1]["text"] = _join(merged[-1]["text"]) + _join(out["text"])
        else:
            merged.append(dict(out))
    return merged


def _clean_output(out: dict, cleaner: Cleaner) -> dict | None:
    kind = out.get("output_type")
    if kind == "stream":
        text = cleaner.stream(cleaner.paths(_join(out["text"])))
        return {**out, "text": text} if text.strip() else None
    if kind in ("display_data", "execute_result"):
        data = {
            mime: value if BINARY.match(mime) or not isinstance(value, (str, list)) else cleaner.text(_join(value))
            for mime, value in out.get("data", {}).items()
        }
        out = {**out, "data": data}
        if kind == "execute_result":
            out["execution_count"] = out.get("execution_count")
        return out
    if kind == "error":
        return {**out, "traceback": [cleaner.paths(ANSI.sub("", line)) for line in out.get("traceback", [])]}
    return out


def _cell_id(cell: dict, seen: dict[str, int]) -> str:
    digest = hashlib.sha1((cell["cell_type"] + "\0" + _join(cell.get("source", ""))).encode()).hexdigest()[:8]
    seen[digest] = seen.get(digest, 0) + 1
    return digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def clean(nb: dict, cleaner: Cleaner) -> dict:
    """A cleaned copy of notebook ``nb`` (nbformat 4, as JSON)."""
    nb = json.loads(json.dumps(nb))
    papermill = nb.get("metadata", {}).get("papermill")
    if papermill is not None:
        kept = {k: papermill[k] for k in KEPT_PAPERMILL if k in papermill}
        nb["metadata"]["papermill"] = json.loads(cleaner.paths(json.dumps(kept, ensure_ascii=False)))
    seen: dict[str, int] = {}
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        for key in VOLATILE_CELL_METADATA:
            meta.pop(key, None)
        if "papermill" in meta:
            meta["papermill"] = {k: v for k, v in meta["papermill"].items() if k == "exception"}
        cell["source"] = cleaner.paths(_join(cell.get("source", "")))
        if "id" in cell or nb.get("nbformat_minor", 0) >= 5:
            cell["id"] = _cell_id(cell, seen)
        if cell["cell_type"] == "code":
            outputs = [_clean_output(o, cleaner) for o in _merged_streams(cell.get("outputs", []))]
            cell["outputs"] = _merged_streams([o for o in outputs if o is not None])  # around a dropped one
    return nb


def dumps(nb: dict) -> str:
    """nbformat's own layout (one-space indent, keys sorted, non-ASCII kept), ending in a newline."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def clean_file(path: Path, cleaner: Cleaner) -> bool:
    """Clean ``path`` in place; whether it changed."""
    before = path.read_text(encoding="utf-8")
    after = dumps(clean(json.loads(before), cleaner))
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--root", type=Path, required=True, help="the checkout: its paths become relative")
    parser.add_argument("--venv", type=Path, default=None, help="the kernel's virtualenv: shown as <venv>")
    args = parser.parse_args(argv)
    cleaner = Cleaner(args.root, args.venv)
    for path in args.notebooks:
        print(f"{path}: {'cleaned' if clean_file(path, cleaner) else 'already clean'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
