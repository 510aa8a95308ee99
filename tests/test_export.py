"""Exports: rows round-trip the items, the HF parquet folder reads back, and the lmms-eval task
folder (YAML + standalone utils.py) scores records correctly."""

import importlib.util
import json
import re

import numpy as np
import pytest
import yaml

from sf2t import world
from sf2t.bench import CATEGORIES
from sf2t.bench.build import MiniConfig, build_items
from sf2t.bench.export import (
    export_hf,
    export_lmms_eval,
    item_to_row,
    load_hf_export,
    metric_name,
    row_to_item,
    utils_source,
)
from sf2t.common.records import read_jsonl
from sf2t.evaluate import extract_letter
from sf2t.video import probe, read_frames
from sf2t.video.transforms import materialize


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("exportbench")
    truths = world.generate(
        root / "videos",
        4,
        "bench",
        seed=2,
        config=world.WorldConfig(width=48, height=48, num_frames=16),
        progress=False,
    )
    items = build_items(truths, MiniConfig(n_videos=4, questions_per_video=8))
    items[0] = dict(
        items[0],
        frames={
            **items[0]["frames"],
            "transform": {"kind": "edit", "frame": 0, "op": "recolour", "box": [0, 0, 16, 16], "shift": [100, 0, 0]},
        },
    )
    return root, items


def _load_utils(folder):
    spec = importlib.util.spec_from_file_location("fvb_utils_under_test", folder / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _TaskLoader(yaml.SafeLoader):
    """Reads lmms-eval's ``!function module.name`` tags as plain strings."""


_TaskLoader.add_constructor("!function", lambda loader, node: "!function " + loader.construct_scalar(node))


def test_rows_round_trip_the_items(bench):
    _, items = bench
    rows = [json.loads(json.dumps(item_to_row(it, f"clips/{it['id']}.mp4"))) for it in items]
    assert [row_to_item(r) for r in rows] == items
    assert rows[0]["frame_transform"] is not None and isinstance(rows[0]["meta"], str)


def test_hf_parquet_round_trip(bench, tmp_path):
    root, items = bench
    out = export_hf(items, tmp_path / "hf", root)
    assert load_hf_export(out) == items
    card = (out / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and "data/test-00000-of-00001.parquet" in card
    assert all((out / it["video"]).is_file() for it in items)


@pytest.fixture(scope="module")
def task_dir(bench, tmp_path_factory):
    root, items = bench
    return export_lmms_eval(items, tmp_path_factory.mktemp("lmms") / "task", root, data_format="jsonl", progress=False)


def test_lmms_eval_yaml_names_the_data_and_existing_hooks(task_dir):
    config = yaml.load((task_dir / "finevidbench_mini.yaml").read_text(), Loader=_TaskLoader)
    assert config["task"] == "finevidbench_mini" and config["output_type"] == "generate_until"
    assert config["dataset_path"] == "json" and config["test_split"] == "test"
    data = config["dataset_kwargs"]["data_files"]["test"]
    assert len(read_jsonl(data)) > 0
    metrics = [m["metric"] for m in config["metric_list"]]
    assert {"overall", "scene", "fragment"} | {metric_name(c) for c in CATEGORIES} <= set(metrics)
    utils = _load_utils(task_dir)
    hooks = [v for v in json.dumps(config).split('"') if v.startswith("!function utils.")]
    hooks += [m["aggregation"] for m in config["metric_list"]]
    for hook in hooks:
        assert callable(getattr(utils, hook.split(".", 1)[1])), hook


def test_the_cloze_task_asks_the_question_alone_and_scores_the_option_texts(task_dir):
    config = yaml.load((task_dir / "finevidbench_mini_cloze.yaml").read_text(), Loader=_TaskLoader)
    assert config["task"] == "finevidbench_mini_cloze" and config["output_type"] == "multiple_choice"
    assert {m["metric"] for m in config["metric_list"]} == {"acc", "acc_norm"}
    assert config["dataset_kwargs"] == yaml.load((task_dir / "finevidbench_mini.yaml").read_text(),
                                                 Loader=_TaskLoader)["dataset_kwargs"]  # one data file, two tasks
    utils = _load_utils(task_dir)
    for doc in read_jsonl(task_dir / "data" / "test.jsonl"):
        text = utils.fvb_doc_to_cloze_text(doc)
        assert doc["question"] in text and not any(f"\n{letter}. " in text for letter in "ABCD")
        choices = utils.fvb_doc_to_choice(doc)
        assert choices == doc["options"] and utils.fvb_doc_to_answer_index(doc) == "ABCD".index(doc["answer"])


def test_utils_is_standalone_and_embeds_the_extractor(task_dir):
    source = (task_dir / "utils.py").read_text()
    assert not re.search(r"^\s*(import|from)\s+sf2t", source, flags=re.M)
    assert source == utils_source()
    utils = _load_utils(task_dir)
    for text in ["A red circle.", "The answer is (C).", "A or B", "", "c", "C. Because it moves", "Answer: d"]:
        assert utils.extract_letter(text, "ABCD") == extract_letter(text, "ABCD")


def test_lmms_eval_hooks_score_records(task_dir):
    utils = _load_utils(task_dir)
    docs = read_jsonl(task_dir / "data" / "test.jsonl")
    results, expected = [], {}
    for k, doc in enumerate(docs):
        assert utils.fvb_doc_to_target(doc) == doc["answer"]
        text = utils.fvb_doc_to_text(doc, {"pre_prompt": "P:", "post_prompt": ":Q"})
        assert text.startswith("P:") and text.endswith(":Q") and doc["question"] in text
        wrong = next(letter for letter in "ABCD" if letter != doc["answer"])
        reply = [f"The answer is ({doc['answer']}).", f"{wrong}", "I cannot tell"][k % 3]
        per_metric = utils.fvb_process_results(doc, [reply])
        assert set(per_metric) == set(utils.METRICS)
        results.append(per_metric)
        expected.setdefault(doc["category"], []).append(k % 3 == 0)
    for category, outcomes in expected.items():
        fn = getattr(utils, f"fvb_aggregate_{metric_name(category)}")
        assert fn([r[metric_name(category)] for r in results]) == pytest.approx(np.mean(outcomes))
    overall = [r["overall"] for r in results]
    assert utils.fvb_aggregate_overall(overall) == pytest.approx(np.mean([k % 3 == 0 for k in range(len(docs))]))
    answered = [k % 3 != 2 for k in range(len(docs))]
    right = [k % 3 == 0 for k in range(len(docs))]
    assert utils.fvb_aggregate_overall_answered(overall) == pytest.approx(sum(right) / sum(answered))
    empty = [dict(r["overall"], category="nothing") for r in results]
    assert np.isnan(utils.fvb_aggregate_action(empty))


def test_clips_hold_each_items_exact_frames(bench, task_dir):
    root, items = bench
    docs = {d["id"]: d for d in read_jsonl(task_dir / "data" / "test.jsonl")}
    utils = _load_utils(task_dir)
    for item in items[:3]:
        (clip,) = utils.fvb_doc_to_visual(docs[item["id"]])
        info = probe(clip)
        assert info.num_frames == len(item["frames"]["indices"])
        got = read_frames(clip, range(info.num_frames)).astype(int)
        want = materialize(item, root).astype(int)
        assert np.abs(got - want).mean() < 4  # H.264 at crf 10: near-lossless


def test_cli_exports_an_lmms_eval_task(bench, tmp_path):
    from sf2t.bench import save_bench
    from sf2t.cli import main

    root, items = bench
    save_bench(items, root / "cli_bench.jsonl")
    out = tmp_path / "export"
    args = ["bench", "export", str(root / "cli_bench.jsonl"), "--out", str(out), "--format", "lmms-eval"]
    assert main([*args, "--data-format", "jsonl"]) == 0
    assert len(read_jsonl(out / "lmms_eval" / "data" / "test.jsonl")) == len(items)
    assert len(list((out / "lmms_eval" / "clips").glob("*.mp4"))) == len(items)


def test_an_id_leading_outside_the_export_is_refused_before_anything_is_written(bench, tmp_path):
    """Issue 13, defect 1: ``clips/{id}.mp4`` with the id ``../../../PWNED`` was written outside
    ``--out``. Every writer now refuses such an id, and confines its paths under its folder."""
    root, items = bench
    hostile = [dict(items[0], id="../../../PWNED"), *items[1:3]]
    out = tmp_path / "a" / "b"
    with pytest.raises(ValueError, match="cannot name an export file"):
        export_lmms_eval(hostile, out, root, data_format="jsonl", progress=False)
    with pytest.raises(ValueError, match="cannot name an export file"):
        export_hf(hostile, tmp_path / "hf", root)
    assert not list(tmp_path.rglob("PWNED*")) and not out.exists()
    with pytest.raises(ValueError, match="outside the data root"):
        export_lmms_eval(items[:2], out, root, data_format="jsonl", task="../task", progress=False)


def test_the_cli_refuses_to_export_a_file_with_an_escaping_id(bench, tmp_path, capsys):
    from sf2t.cli import main

    root, items = bench
    bad = root / "escaping.jsonl"
    bad.write_text("\n".join(json.dumps(dict(it, id=f"../../{it['id']}")) for it in items[:2]) + "\n")
    out = tmp_path / "export"
    assert main(["bench", "export", str(bad), "--out", str(out), "--format", "lmms-eval"]) == 2
    err = capsys.readouterr().err
    assert "line 1: 'id' must be" in err and "line 2: 'id' must be" in err
    assert not out.exists() and not list(tmp_path.rglob("*.mp4"))
