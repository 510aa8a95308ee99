"""Hostile benchmark files (issue 13): ids that would lead an export outside its folder (defect
1), items that passed validation and then crashed evaluation (defect 2), files that made the
loader raise a traceback (defect 3), an export of nothing (defect 10) and bad arguments
(defect 12). Each is a line-numbered problem, a skipped item or a one-line error."""

import json
import shutil

import pytest

from sf2t.bench import item_problems, load_bench, validate
from sf2t.bench.fit import VideoFit
from sf2t.bench.schema import EDIT_OPS as BENCH_OPS
from sf2t.bench.schema import TRANSFORM_KINDS as BENCH_KINDS
from sf2t.cli import main
from sf2t.video import transforms


def _item(**over):
    item = {
        "id": "ok-1",
        "video": "v.mp4",
        "level": "fragment",
        "category": "Frame Count",
        "question": "How many frames?",
        "options": ["3", "4"],
        "answer": "B",
        "frames": {"indices": [0, 1, 2, 3], "transform": None, "speed": None, "order": "original"},
        "source": "test",
        "meta": {},
    }
    item.update(over)
    return item


def _frames(**over):
    return {"indices": [0, 1, 2, 3], "transform": None, "speed": None, "order": "original", **over}


def _edit(box):
    return {"kind": "edit", "frame": 0, "op": "erase", "box": box, "fill": [0, 0, 0]}


@pytest.fixture()
def root(world_dir, tmp_path):
    """A data root with one real 64x64, 16-frame video (a copy: the world is shared)."""
    shutil.copyfile(world_dir / "bench-000000.mp4", tmp_path / "v.mp4")
    return tmp_path


#: (what, the bad line, a phrase of its problem): every one used to pass `bench validate`
#: (or crash it) and is now named with its line.
HOSTILE = [
    ("escaping id", json.dumps(_item(id="../../../../PWNED")), "'id' must be"),
    ("id with a separator", json.dumps(_item(id="a/b")), "'id' must be"),
    ("id '..'", json.dumps(_item(id="..")), "'id' must be"),
    ("NaN speed", json.dumps(_item(frames=_frames(speed=float("nan")))), "NaN is not a JSON number"),
    ("Infinity in meta", json.dumps(_item(meta={"x": float("inf")})), "Infinity is not a JSON number"),
    ("lone surrogate", json.dumps(_item(question="why \ud800?")), "lone surrogate"),
    ("frame 10**30", json.dumps(_item(frames=_frames(indices=[0, 10**30]))), "above the largest possible"),
    ("unknown transform", json.dumps(_item(frames=_frames(transform={"kind": "warp"}))), "'frames.transform.kind'"),
    ("box outside the frame", json.dumps(_item(frames=_frames(transform=_edit([60, 60, 80, 80])))), "64x64"),
    (
        "paste source ../x",
        json.dumps(
            _item(
                frames=_frames(
                    transform={
                        "kind": "paste",
                        "source": {"video": "../x.mp4", "index": 0, "box": [0, 0, 4, 4]},
                        "at": [0, 0],
                        "frames": [1],
                    }
                )
            )
        ),
        "leads outside the data root",
    ),
    ("frame the video lacks", json.dumps(_item(frames=_frames(indices=[0, 99]))), "has 16 frames"),
    ("5,000-character path", json.dumps(_item(video="x" * 5000 + ".mp4")), "5004 characters long"),
    ("symlink loop", json.dumps(_item(video="loop-a.mp4")), "cannot be resolved"),
    ("not UTF-8", b'{"id": "\xff"}', "not valid UTF-8"),
    ("100k-deep nesting", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
]


def _write_hostile(root):
    (root / "loop-a.mp4").symlink_to(root / "loop-b.mp4")
    (root / "loop-b.mp4").symlink_to(root / "loop-a.mp4")
    lines = [json.dumps(_item(id="good-1")).encode()]
    for k, (_, line, _) in enumerate(HOSTILE):
        line = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
        lines.append(line.replace(b'"ok-1"', f'"bad-{k}"'.encode()))
    lines.append(json.dumps(_item(id="good-2", frames=_frames(transform=_edit([0, 0, 8, 8])))).encode())
    path = root / "bench.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_validate_names_every_hostile_item_by_its_line(root):
    """Defects 1, 2, 3: each hostile line is one problem on its own line number."""
    bench = _write_hostile(root)
    problems = validate(bench, root, check=VideoFit(root))
    assert len(problems) == len(HOSTILE)
    for k, (what, _, phrase) in enumerate(HOSTILE):
        line = k + 2
        (problem,) = [p for p in problems if p.startswith(f"{bench}: line {line}: ")]
        assert phrase in problem, (what, problem)


def test_skip_invalid_keeps_the_good_items_and_names_the_rest(root):
    """What `sf2t evaluate` loads: the good items, and every bad line as a skipped item."""
    bench = _write_hostile(root)
    items, skipped = load_bench(bench, root, check=VideoFit(root), skip_invalid=True)
    assert [it["id"] for it in items] == ["good-1", "good-2"]
    assert [s.line for s in skipped] == list(range(2, len(HOSTILE) + 2))
    kinds = {s.kind for s in skipped}
    assert kinds == {"malformed line", "invalid item", "failed the check against its video"}
    assert [s.id for s in skipped[:4]] == ["../../../../PWNED", "a/b", "..", None]  # line 5 is not JSON


def test_the_cli_validates_a_hostile_file_without_a_traceback(root, capsys):
    bench = _write_hostile(root)
    assert main(["bench", "validate", str(bench)]) == 1
    out = capsys.readouterr().out
    assert f"{len(HOSTILE)} problem(s)" in out and "line 2:" in out and f"line {len(HOSTILE) + 1}:" in out


def test_an_unreadable_bench_file_is_one_problem(tmp_path):
    (tmp_path / "a.jsonl").symlink_to(tmp_path / "b.jsonl")
    (tmp_path / "b.jsonl").symlink_to(tmp_path / "a.jsonl")
    (problem,) = validate(tmp_path / "a.jsonl", tmp_path)
    assert "cannot be read" in problem and str(tmp_path / "a.jsonl") in problem


def test_item_problems_name_values_no_file_can_hold():
    """Items built in memory (not read from a file) are checked for the same values."""
    assert item_problems(_item()) == []
    assert any("finite" in p for p in item_problems(_item(frames=_frames(speed=float("inf")))))
    assert any("surrogate" in p for p in item_problems(_item(options=["a", "\udc00"])))
    deep: list = [1]
    for _ in range(40):
        deep = [deep]
    assert any("nests deeper" in p for p in item_problems(_item(meta={"x": deep})))


@pytest.mark.parametrize("good", ["a", "bench-000003-q19", "x.y_z-1", "A" * 128])
def test_safe_ids_pass(good):
    assert item_problems(_item(id=good)) == []


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "a\\b", "../x", "a b", "A" * 129, "é", 7])
def test_unsafe_ids_are_refused(bad):
    assert any(p.startswith("'id'") for p in item_problems(_item(id=bad)))


def test_the_schema_knows_the_edits_the_video_layer_applies():
    assert BENCH_KINDS == transforms.TRANSFORM_KINDS and BENCH_OPS == transforms.EDIT_OPS


# --------------------------------------------------------------------------- the command line


def test_export_of_no_item_fails_and_writes_nothing(root, tmp_path_factory, capsys):
    """Defect 10: an export whose every video is missing exited 0 with empty files."""
    bench = root / "bench.jsonl"
    bench.write_text(json.dumps(_item(video="gone.mp4")) + "\n")
    out = tmp_path_factory.mktemp("export") / "out"
    assert main(["bench", "export", str(bench), "--out", str(out), "--format", "lmms-eval"]) == 1
    err = capsys.readouterr().err
    assert "none of the 1 items" in err and "nothing written" in err and not out.exists()


def _one_error_line(capsys, code):
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("sf2t bench"), err  # "sf2t bench[ build]: ..."
    return err[0]


def test_bad_arguments_are_one_line_and_exit_2(root, capsys):
    """Defect 12 for `sf2t bench`."""
    bench = root / "bench.jsonl"
    bench.write_text(json.dumps(_item()) + "\n")
    a_file = root / "a_file"
    a_file.write_text("x")
    assert "is a file" in _one_error_line(capsys, main(["bench", "export", str(bench), "--out", str(a_file)]))
    assert "is not a folder" in _one_error_line(
        capsys, main(["bench", "export", str(bench), "--out", str(root / "o"), "--videos", "/nope"])
    )
    assert "is not a file" in _one_error_line(capsys, main(["bench", "validate", str(root / "missing.jsonl")]))
    build = ["bench", "build", "--world", str(root), "--out", str(root / "b")]
    assert "--n-videos: must be a positive integer" in _one_error_line(capsys, main([*build, "--n-videos", "0"]))
    assert "--questions-per-video" in _one_error_line(capsys, main([*build, "--questions-per-video", "-1"]))
    assert "is a file" in _one_error_line(capsys, main(["bench", "build", "--world", str(root), "--out", str(a_file)]))


def test_a_malformed_file_fails_stats_in_one_message_naming_its_lines(root, capsys):
    bench = root / "bench.jsonl"
    bench.write_text(json.dumps(_item()) + "\n" + json.dumps(_item(id="../x")) + "\n")
    assert main(["bench", "stats", str(bench)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sf2t bench: {bench}: 1 malformed line(s)") and "line 2: 'id' must be" in err
