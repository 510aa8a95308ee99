"""Stages are reused when their inputs are unchanged and rerun, keeping the old outputs
aside, when they change."""

from pathlib import Path

from sf2t.common.stage_cache import fingerprint, read_marker, run_stage


def _builder(calls):
    def build(out: Path):
        calls.append(out)
        (out / "result.txt").write_text(str(len(calls)))
        return {"n": len(calls)}

    return build


def test_same_inputs_reuse(tmp_path):
    calls = []
    data = tmp_path / "data.txt"
    data.write_text("a")
    inputs = {"lr": 0.1, "data": data}
    first = run_stage("s", tmp_path / "out", inputs, _builder(calls), log=lambda m: None)
    second = run_stage("s", tmp_path / "out", inputs, _builder(calls), log=lambda m: None)
    assert first == second == {"n": 1} and len(calls) == 1
    assert read_marker(tmp_path / "out")["outputs"] == {"n": 1}


def test_changed_file_content_reruns_and_keeps_old_outputs(tmp_path):
    calls = []
    data = tmp_path / "data.txt"
    data.write_text("a")
    run_stage("s", tmp_path / "out", {"data": data}, _builder(calls), log=lambda m: None)
    data.write_text("b")
    messages = []
    out = run_stage("s", tmp_path / "out", {"data": data}, _builder(calls), log=messages.append)
    assert out == {"n": 2}
    stale = [p for p in tmp_path.iterdir() if p.name.startswith("out.stale-")]
    assert len(stale) == 1 and (stale[0] / "result.txt").read_text() == "1"
    assert any("inputs changed" in m for m in messages)


def test_killed_stage_has_no_marker_and_reruns(tmp_path):
    def boom(out):
        (out / "partial").write_text("x")
        raise KeyboardInterrupt

    try:
        run_stage("s", tmp_path / "out", {"a": 1}, boom, log=lambda m: None)
    except KeyboardInterrupt:
        pass
    assert read_marker(tmp_path / "out") is None
    calls = []
    assert run_stage("s", tmp_path / "out", {"a": 1}, _builder(calls), log=lambda m: None) == {"n": 1}


def test_fingerprint_depends_on_folder_content(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "w.bin").write_bytes(b"1")
    a = fingerprint({"base": folder})
    (folder / "w.bin").write_bytes(b"2")
    assert fingerprint({"base": folder}) != a
    assert fingerprint({"x": [1, 2]}) == fingerprint({"x": (1, 2)})


def test_a_code_change_reruns_a_stage_unless_it_opts_out(tmp_path, monkeypatch):
    import sf2t.common.stage_cache as sc

    calls = []
    run_stage("s", tmp_path / "a", {"a": 1}, _builder(calls), log=lambda m: None)
    run_stage("k", tmp_path / "k", {"a": 1}, _builder(calls), log=lambda m: None, code=False)
    assert len(calls) == 2
    monkeypatch.setattr(sc, "source_digest", lambda parts=None: "edited")
    run_stage("s", tmp_path / "a", {"a": 1}, _builder(calls), log=lambda m: None)
    assert len(calls) == 3, "a stage must not reuse outputs made by other code"
    run_stage("k", tmp_path / "k", {"a": 1}, _builder(calls), log=lambda m: None, code=False)
    assert len(calls) == 3, "code=False keeps the stage across code changes"


def test_source_digest_covers_the_package_source():
    import sf2t.common.stage_cache as sc

    digest = sc.source_digest()
    assert len(digest) == 64 and digest == sc.source_digest()
    assert len({digest, sc.source_digest(("world",)), sc.source_digest(("world", "video"))}) == 3


def test_a_stage_keyed_by_some_subpackages_reruns_only_when_they_change(tmp_path, monkeypatch):
    import sf2t.common.stage_cache as sc

    calls, edited = [], set()
    monkeypatch.setattr(sc, "source_digest", lambda parts=None: "x" + ",".join(sorted(edited & set(parts or {"*"}))))
    run_stage("w", tmp_path / "w", {"a": 1}, _builder(calls), log=lambda m: None, code=("world", "video"))
    edited.add("report")
    run_stage("w", tmp_path / "w", {"a": 1}, _builder(calls), log=lambda m: None, code=("world", "video"))
    assert len(calls) == 1, "a change elsewhere keeps the stage"
    edited.add("world")
    run_stage("w", tmp_path / "w", {"a": 1}, _builder(calls), log=lambda m: None, code=("world", "video"))
    assert len(calls) == 2, "a change to its own code reruns it"
