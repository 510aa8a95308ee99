"""Tables and figures are deterministic and say where their numbers came from."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from sf2t.report import format_mean_ci, save_figure, write_table

ROWS = [{"family": "qwen2_vl", "acc": 0.5, "n": 10}, {"family": "llava_onevision", "acc": 0.25, "n": None}]


def test_write_table_three_formats_with_source(tmp_path):
    paths = write_table(ROWS, tmp_path / "t", caption="Acc & co", source="results/x.json")
    assert set(paths) == {"csv", "md", "tex"}
    csv = paths["csv"].read_text().splitlines()
    assert csv[0] == "family,acc,n" and csv[1] == "qwen2_vl,0.5000,10" and csv[2] == "llava_onevision,0.2500,"
    md = paths["md"].read_text()
    assert "| qwen2_vl | 0.5 | 10 |" in md and "Source: results/x.json" in md and "–" in md
    tex = paths["tex"].read_text()
    assert r"Acc \& co" in tex and r"qwen2\_vl" in tex and r"\toprule" in tex


def test_write_table_is_byte_identical_on_rerun(tmp_path):
    a = write_table(ROWS, tmp_path / "a")
    b = write_table(ROWS, tmp_path / "b")
    for ext in a:
        assert a[ext].read_bytes() == b[ext].read_bytes()


def test_empty_table_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no rows"):
        write_table([], tmp_path / "t")


def test_figures_are_byte_identical_on_rerun(tmp_path):
    outs = []
    for name in ("a", "b"):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [1, 0])
        outs.append(save_figure(fig, tmp_path / name))
        plt.close(fig)
    for ext in ("pdf", "png"):
        assert outs[0][ext].read_bytes() == outs[1][ext].read_bytes()


def test_format_mean_ci():
    assert format_mean_ci(50.0, 40.0, 60.0) == "50.0 ± 10.0"
    assert format_mean_ci(None, None, None) == "–"


def test_loss_curves_of_a_curriculum_continue_their_step_count(tmp_path):
    from sf2t.report import read_loss_curves

    for stage, losses in enumerate([[3.0, 2.0, 1.5], [1.4, 1.0]]):
        run = tmp_path / f"stage-{stage}"
        run.mkdir()
        lines = ["step,loss,lr,samples_per_s,elapsed_s,eval_loss"]
        lines += [f"{i + 1},{x},0.001,10.0,{i}," for i, x in enumerate(losses)]
        (run / "loss.csv").write_text("\n".join(lines) + "\n")
    rows = read_loss_curves(sorted(tmp_path.glob("stage-*")))
    assert [(r["step"], r["loss"], r["stage"]) for r in rows] == [
        (1, 3.0, 0), (2, 2.0, 0), (3, 1.5, 0), (4, 1.4, 1), (5, 1.0, 1)]
    assert read_loss_curves([]) == []


def test_only_the_default_profile_writes_to_paper_itself(tmp_path):
    from sf2t.report import paper_root

    paper = tmp_path / "paper"
    assert paper_root(tmp_path, "mini", paper) == paper
    assert paper_root(tmp_path, "full", paper) == paper / "full"  # never overwrites mini's artifacts
    assert paper_root(tmp_path, None, paper) == paper  # artifacts that are the same under every profile


def test_a_notebook_run_by_hand_writes_to_a_scratch_folder_not_paper(tmp_path):
    from sf2t.report import paper_root

    scratch = tmp_path / "results" / "scratch" / "01_fragment_tasks"
    assert paper_root(tmp_path, "mini", None, "01_fragment_tasks") == scratch
    assert paper_root(tmp_path, "quick", None, "01_fragment_tasks") == scratch / "quick"


# --------------------------------------------------------------------------- sf2t report table


@pytest.fixture
def results_file(tmp_path):
    import json

    data = {
        "main": [{"family": "a", "mean": 0.25, "levels": {"scene": 0.5}}, {"family": "b", "mean": 0.3}],
        "aggregate": {"categories": {"Speed": {"accuracy": 0.4, "n": 10}, "Effect": {"accuracy": 0.2, "n": 5}}},
        "note": "text",
    }
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(data))
    return path


def test_report_table_prints_a_results_files_rows_as_markdown(results_file, capsys):
    from sf2t.cli import main

    assert main(["report", "table", str(results_file), "--rows", "main", "--digits", "2"]) == 0
    out = capsys.readouterr().out
    assert "| family | mean | levels.scene |" in out and "| a | 0.25 | 0.50 |" in out and "| b | 0.30 | – |" in out
    assert f"Source: {results_file} (main)" in out


def test_report_table_writes_three_formats_from_an_object_of_rows(results_file, tmp_path):
    from sf2t.cli import main

    stem = tmp_path / "tables" / "categories"
    args = ["report", "table", str(results_file), "--rows", "aggregate.categories", "--columns", "key,accuracy"]
    assert main([*args, "--out", str(stem), "--caption", "Per category"]) == 0
    assert stem.with_suffix(".csv").read_text() == "key,accuracy\nSpeed,0.4000\nEffect,0.2000\n"
    assert "**Per category**" in stem.with_suffix(".md").read_text() and stem.with_suffix(".tex").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "is not a list of rows; choose one with --rows: main, aggregate, aggregate.categories"),
        (["--rows", "mian"], "has no 'mian'; tables in it: main, aggregate, aggregate.categories"),
        (["--rows", "note"], "'note' in"),
        (["--rows", "main", "--columns", "family,median"], "no column(s) median; columns: family, mean, levels.scene"),
        (["--rows", "main", "--digits", "-1"], "--digits must be at least 0"),
    ],
)
def test_report_table_errors_are_one_line_naming_the_choices(results_file, capsys, args, message):
    from sf2t.cli import main

    assert main(["report", "table", str(results_file), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sf2t report: ") and message in err and err.count("\n") == 1, err


def test_report_table_on_a_missing_or_broken_file_is_one_line(tmp_path, capsys):
    from sf2t.cli import main

    (tmp_path / "bad.json").write_text("{not json")
    for name in ("missing.json", "bad.json"):
        assert main(["report", "table", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("sf2t report: ") and err.count("\n") == 1, err
