"""JSONL records: every malformed line named, canonical bytes, paths kept under the data root."""

import json

import pytest

from sf2t.common.records import JsonlAppender, RecordError, read_jsonl, resolve_under, write_jsonl


def test_every_malformed_line_is_named(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "a"}\nnot json\n\n[1, 2]\n{"x": 1}\n')
    with pytest.raises(RecordError) as err:
        read_jsonl(path, required=["id"])
    assert [n for n, _ in err.value.problems] == [2, 4, 5]
    text = str(err.value)
    assert str(path) in text and "line 2" in text and "line 4" in text and "missing field(s) id" in text


def test_write_is_canonical_and_round_trips(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    recs = [{"b": 1, "a": [1, 2], "c": "é"}, {"id": "x"}]
    write_jsonl(a, recs)
    write_jsonl(b, [dict(reversed(list(r.items()))) for r in recs])
    assert a.read_bytes() == b.read_bytes()
    assert read_jsonl(a) == recs


def test_nan_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_jsonl(tmp_path / "x.jsonl", [{"v": float("nan")}])


def test_appender_keeps_written_lines(tmp_path):
    path = tmp_path / "run" / "items.jsonl"
    with JsonlAppender(path) as out:
        out.write({"id": 1})
    with JsonlAppender(path) as out:
        out.write({"id": 2})
    assert [json.loads(x)["id"] for x in path.read_text().splitlines()] == [1, 2]


@pytest.mark.parametrize("bad", ["../secret.mp4", "/etc/passwd", "a/../../x.mp4"])
def test_paths_outside_the_root_are_refused(tmp_path, bad):
    with pytest.raises(ValueError, match="outside the data root"):
        resolve_under(tmp_path, bad)


def test_symlink_out_of_root_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.mp4").symlink_to(tmp_path / "elsewhere.mp4")
    with pytest.raises(ValueError):
        resolve_under(root, "link.mp4")
    assert resolve_under(root, "sub/v.mp4") == (root / "sub" / "v.mp4").resolve()


def test_writers_of_one_file_use_temporary_files_of_their_own(tmp_path):
    """A second writer finishing while the first is mid-file must not take over the first one's
    temporary file (both used ``<name>.tmp``); each rename publishes one whole file."""
    path = tmp_path / "samples.jsonl"

    def first():
        yield {"a": 1}
        write_jsonl(path, [{"b": 2}])
        yield {"a": 2}

    assert write_jsonl(path, first()) == 2
    assert read_jsonl(path) == [{"a": 1}, {"a": 2}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samples.jsonl"]


def test_a_failed_write_leaves_no_temporary_file_and_the_old_file_intact(tmp_path):
    path = tmp_path / "samples.jsonl"
    write_jsonl(path, [{"old": 1}])

    def broken():
        yield {"new": 1}
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError):
        write_jsonl(path, broken())
    (tmp_path / "outdir").mkdir()
    with pytest.raises(IsADirectoryError):
        write_jsonl(tmp_path / "outdir", [{"x": 1}])
    assert read_jsonl(path) == [{"old": 1}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outdir", "samples.jsonl"]
