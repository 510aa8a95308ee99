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


# --------------------------------------------------------------------------- hostile files (issue 13)


def test_a_byte_that_is_not_utf8_is_a_line_problem(tmp_path):
    """Defect 3: a non-UTF-8 byte raised UnicodeDecodeError from deep inside the reader."""
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"id": "a"}\n{"id": "b\xff"}\n{"id": "c"}\n')
    with pytest.raises(RecordError) as err:
        read_jsonl(path)
    assert err.value.problems == [(2, "not valid UTF-8 (byte 0xff at column 10)")]


def test_deep_nesting_is_a_line_problem(tmp_path):
    """Defect 3: 100,000 nested lists raised RecursionError."""
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "a"}\n{"x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(RecordError) as err:
        read_jsonl(path)
    assert [n for n, _ in err.value.problems] == [2] and "nested too deeply" in err.value.problems[0][1]


def test_nesting_deeper_than_a_record_has_is_a_line_problem(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"x": ' + "[" * 500 + "]" * 500 + "}\n")
    with pytest.raises(RecordError, match="nests deeper than 32 levels"):
        read_jsonl(path)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('{"speed": NaN}', "NaN is not a JSON number"),
        ('{"meta": {"x": -Infinity}}', "-Infinity is not a JSON number"),
        ('{"question": "what \\ud800?"}', "question has a lone surrogate '\\ud800' at character 5"),
        ('{"options": ["a", "\\udfff"]}', "options[1] has a lone surrogate"),
    ],
)
def test_nan_infinity_and_lone_surrogates_are_line_problems(tmp_path, line, said):
    """Defect 2: values JSON parsers accept but no writer can write back (NaN, Infinity, a lone
    surrogate) are named by their line, not found later by a crash."""
    path = tmp_path / "items.jsonl"
    path.write_text('{"ok": 1}\n' + line + "\n")
    with pytest.raises(RecordError) as err:
        read_jsonl(path)
    assert [n for n, _ in err.value.problems] == [2] and said in err.value.problems[0][1]


def test_a_paired_surrogate_escape_is_ordinary_text(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"q": "\\ud83d\\ude00"}\n')
    assert read_jsonl(path) == [{"q": "\N{GRINNING FACE}"}]


def test_a_file_that_cannot_be_opened_is_named_in_one_line(tmp_path):
    """Defect 3: a symlink loop raised OSError from open()."""
    (tmp_path / "a.jsonl").symlink_to(tmp_path / "b.jsonl")
    (tmp_path / "b.jsonl").symlink_to(tmp_path / "a.jsonl")
    with pytest.raises(RecordError) as err:
        read_jsonl(tmp_path / "a.jsonl")
    assert str(err.value) == f"{tmp_path / 'a.jsonl'}: cannot be read (Too many levels of symbolic links)"


def test_a_symlink_loop_under_the_root_is_refused_not_raised(tmp_path):
    (tmp_path / "a.mp4").symlink_to(tmp_path / "b.mp4")
    (tmp_path / "b.mp4").symlink_to(tmp_path / "a.mp4")
    with pytest.raises(ValueError, match="cannot be resolved"):
        resolve_under(tmp_path, "a.mp4")


def test_errors_with_their_own_arguments_survive_a_worker_process():
    """The experiment runs stages in worker processes: an error that cannot be unpickled in the parent
    turns into a bare BrokenProcessPool and the file it named is lost (seen with a video read mid-rewrite)."""
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    from sf2t.video import VideoError

    for error in (VideoError("clips/v1.mp4", "no such file"), RecordError("r.jsonl", [(3, "not JSON"), (5, "no id")])):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error) and again.path == error.path
    with ProcessPoolExecutor(1) as pool, pytest.raises(VideoError, match="clips/v2.mp4: unreadable"):
        pool.submit(_raise_video_error).result()


def _raise_video_error():
    from sf2t.video import VideoError

    raise VideoError("clips/v2.mp4", "unreadable")
