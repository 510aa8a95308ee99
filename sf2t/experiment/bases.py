"""Stage 3, bases: one "pretrained" base model per family, trained on coarse captions of the
base world (or, at paper scale, a given checkpoint that is only measured), and the competence
gate that stops the experiment when a base does not know the world.

The caption data is made here, from the world's ground truth, and reaches training as records
files like any other data: `sf2t.train` knows nothing of the synthetic world.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sf2t.common.records import write_jsonl
from sf2t.common.stage_cache import fingerprint, read_marker, run_stage, stale_folder
from sf2t.experiment.paths import Paths, model_ref
from sf2t.experiment.profiles import Profile, ProfileError
from sf2t.experiment.worlds import caption_worlds

#: Keys of a base recipe that describe its caption data, not its training run.
CAPTION_KEYS = ("curriculum", "kinds", "num_frames", "balance", "answer_form")


class CompetenceError(RuntimeError):
    """A base model fell short of the profile's competence gate: every table would be meaningless."""


def caption_stages(
    world_dir: str | Path,
    out_dir: str | Path,
    *,
    curriculum: Sequence[dict[str, Any]] | None = None,
    kinds: Sequence[str] = ("object", "happening"),
    steps: int = 300,
    num_frames: int = 8,
    seed: int = 0,
    balance: bool = False,
    answer_form: str = "letter",
    kind_worlds: dict[str, str | Path] | None = None,
) -> list[dict[str, Any]]:
    """The stages of a base curriculum with their caption records written to
    ``out_dir/captions/stage-N.jsonl``: the input of `sf2t.train.pretrain_base`.

    ``curriculum`` lists stages, each a dict of training overrides plus optional ``kinds``
    (question kinds, `sf2t.world.captions.QUESTION_KINDS`), ``balance`` (repeat videos so every
    coarse action group is equally frequent) and ``shares`` ({kind: share of the stage's samples}:
    that kind gets its own records file at that ratio, the other kinds share the rest; without it
    every kind has one record per video); without ``curriculum``, one stage of ``steps`` steps on
    ``kinds``. ``answer_form`` "text" answers with the option's words. ``kind_worlds`` ({kind:
    world folder}) asks a kind about another world's videos (the fragment world's positions); such a
    kind needs a share. Refuses a world that holds benchmark-split videos.
    """
    from sf2t.world import load_truth
    from sf2t.world.captions import caption_records

    kind_worlds = dict(kind_worlds or {})
    truths: dict[str, list[dict[str, Any]]] = {}
    for folder in {str(world_dir), *map(str, kind_worlds.values())}:
        truths[folder] = load_truth(folder)
        if any(t["split"] == "bench" for t in truths[folder]):
            raise ProfileError(f"{folder}: holds benchmark-split videos; the base stage must never train on them")
    stages = []
    for number, stage in enumerate(list(curriculum) if curriculum else [{"kinds": list(kinds), "steps": steps}]):
        stage = dict(stage)
        stage_kinds = list(stage.pop("kinds", kinds))
        shares = check_shares(stage.pop("shares", {}), stage_kinds, number)
        elsewhere = [k for k in stage_kinds if k in kind_worlds]
        unshared = [k for k in elsewhere if k not in shares]
        if unshared:
            raise ProfileError(
                f"base curriculum stage {number}: kind(s) {unshared} are asked of another world's videos "
                f"({', '.join(str(kind_worlds[k]) for k in unshared)}); give each a share of the samples (`shares`)"
            )
        draw = dict(num_frames=num_frames, seed=seed + number, answer_form=answer_form)
        balanced = stage.pop("balance", balance)
        here = [k for k in stage_kinds if k not in kind_worlds]
        records = caption_records(truths[str(world_dir)], kinds=here, balance=balanced, **draw) if here else []
        roots = dict.fromkeys(stage_kinds, str(world_dir))
        for kind in elsewhere:
            roots[kind] = str(kind_worlds[kind])
            records += caption_records(truths[roots[kind]], kinds=[kind], balance=balanced, **draw)
        data_path = Path(out_dir) / "captions" / f"stage-{number}.jsonl"
        rest = [r for r in records if r["meta"]["kind"] not in shares]
        data = []
        if rest:
            write_jsonl(data_path, rest)
            source = {"path": str(data_path), "root": str(world_dir), "name": f"captions-{number}"}
            data.append({**source, "ratio": 1.0 - sum(shares.values())} if shares else source)
        for kind, share in shares.items():  # a kind at a fixed share of the samples: its own file
            path = data_path.with_name(f"stage-{number}-{kind}.jsonl")
            write_jsonl(path, [r for r in records if r["meta"]["kind"] == kind])
            name = f"captions-{number}-{kind}"
            data.append({"path": str(path), "root": roots[kind], "name": name, "ratio": share})
        stages.append({**stage, "data": data})
    return stages


def check_shares(shares: dict[str, float], kinds: Sequence[str], number: int) -> dict[str, float]:
    """A curriculum stage's ``shares``: kinds of the stage, each a share in (0, 1), together under 1
    unless they are all the stage's kinds (then their ratios are used as they are)."""
    where = f"base curriculum stage {number}: shares {shares!r}"
    if not isinstance(shares, dict):
        raise ProfileError(f"{where}: a mapping from question kind to share of the samples")
    unknown = sorted(set(shares) - set(kinds))
    if unknown:
        raise ProfileError(f"{where}: {unknown} not among the stage's kinds {list(kinds)}")
    if any(not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v < 1 for v in shares.values()):
        raise ProfileError(f"{where}: every share must be a number between 0 and 1")
    if set(shares) != set(kinds) and sum(shares.values()) >= 1:
        raise ProfileError(f"{where}: together at least 1, leaving nothing for {sorted(set(kinds) - set(shares))}")
    return {k: float(v) for k, v in shares.items()}


def base_inputs(profile: Profile, family: str, seed: int | None = None) -> dict[str, Any]:
    """What a base depends on: its recipe (``seed`` replaces the recipe's seed: another base of the
    same recipe) and the world it learns (not the code, not fine-tuning)."""
    recipe = profile.base_recipe(family)
    if seed is not None:
        recipe["seed"] = seed
    inputs = {
        "family": family,
        "recipe": recipe,
        "world": profile.world,
        "world_seed": profile.world_seed,
        "videos": {k: profile.videos[k] for k in ("base", "heldout")},
    }
    if profile.fragment_world:  # the position captions' world (only then: other bases keep their identity)
        inputs["fragment_world"] = profile.fragment_world
        inputs["videos"]["fragment_base"] = profile.videos["fragment_base"]
    return inputs


def base_name(family: str, seed: int | None = None) -> str:
    """The folder and report name of a base: ``family``, or ``family-seedN`` for an extra base seed."""
    return family if seed is None else f"{family}-seed{seed}"


def stage_base(
    profile: Profile,
    paths: Paths,
    family: str,
    worlds: dict[str, str],
    log=print,
    from_scratch: bool = False,
    seed: int | None = None,
) -> dict[str, Any]:
    """Train the base of ``family`` (or take the recipe's ``model``, a given checkpoint, as it is).

    The base lives in ``paths.bases`` (committed for the mini profile) and is keyed by its recipe
    and the world's definition, not by the code: a base costs tens of minutes on a CPU, so code
    changes reuse it and ``from_scratch`` retrains it; a recipe given more curriculum stages takes
    the stages the previous base trained the same way from it (set aside as stale) and trains only
    the rest. ``seed`` trains another base of the same
    recipe (``base.check_seeds``: the competence gate holds for more than one base seed). Returns
    ``model_dir`` and the ``captions`` files it was trained on.
    """
    inputs = base_inputs(profile, family, seed)
    recipe = inputs["recipe"]
    if "model" in recipe:  # a pretrained checkpoint (paper scale): nothing to train
        return {"model_dir": recipe["model"], "captions": []}

    def build(out: Path) -> dict[str, Any]:
        from sf2t.train.stages import pretrain_base

        r = {k: v for k, v in recipe.items() if k != "competence_kinds"}
        captions = {k: r.pop(k) for k in CAPTION_KEYS if k in r}
        kind_worlds = caption_worlds(worlds)
        stages = caption_stages(
            worlds["base"], out, steps=r.get("steps", 300), seed=r.get("seed", 0), kind_worlds=kind_worlds, **captions
        )
        result = pretrain_base(family, stages, out, progress=False, earlier=earlier, **r)
        for folder in out.glob("stage-*/checkpoints"):  # optimizer states: not needed once trained
            shutil.rmtree(folder)
        for folder in out.glob("stage-*/final"):  # earlier curriculum stages' weights: only the last is the base
            if folder.resolve() != Path(result.model_dir).resolve():
                shutil.rmtree(folder)
        return {  # paths relative to the stage folder: the folder is committed and cloned elsewhere
            "model_dir": Path(result.model_dir).relative_to(out).as_posix(),
            "captions": sorted(p.relative_to(out).as_posix() for p in (out / "captions").glob("*.jsonl")),
            **caption_folders(stages, out, worlds),
            "final_loss": result.runs[-1].final_loss,
            "steps": sum(x.steps for x in result.runs),
            **({"stages_from_earlier": result.stages_from_earlier} if result.stages_from_earlier else {}),
        }

    out = paths.bases / base_name(family, seed)
    marker = read_marker(out)  # a base of an earlier recipe: its stages still in this one are not retrained
    earlier = stale_folder(out, marker) if marker and not from_scratch else None
    if profile.bases and profile.bases != profile.name:
        check_borrowed_base(profile, out, inputs, from_scratch)
    done = run_stage(f"base {base_name(family, seed)}", out, inputs, build, force=from_scratch, log=log, code=False)
    return {
        **done,
        "model_dir": str(out / done["model_dir"]),
        "captions": [str(out / c) for c in done["captions"]],
        "caption_roots": [worlds[done.get("caption_worlds", {}).get(c, "base")] for c in done["captions"]],
    }


def caption_folders(stages: list[dict[str, Any]], out: Path, worlds: dict[str, str]) -> dict[str, Any]:
    """``{"caption_worlds": {captions file: world name}}`` for caption files of another world than
    ``base`` (by name, not path: the base's folder is committed and cloned elsewhere); empty when
    every file is of ``base``."""
    names = {str(Path(p)): name for name, p in worlds.items()}
    other = {
        Path(d["path"]).relative_to(out).as_posix(): names[str(Path(d["root"]))]
        for st in stages
        for d in st["data"]
        if names[str(Path(d["root"]))] != "base"
    }
    return {"caption_worlds": other} if other else {}


def stage_competence(
    profile: Profile, paths: Paths, family: str, model_dir: str, worlds: dict[str, str], log=print, name: str = ""
) -> dict[str, Any]:
    """How well the base of ``family`` knows the world: coarse caption questions about held-out
    videos, scored as the experiment scores (``evaluation.mode``), measured afresh whenever the
    base, the held-out videos or the scoring change."""
    from sf2t.experiment.competence import competence

    recipe = profile.base_recipe(family)
    measure = {
        "kinds": recipe.get("competence_kinds") or recipe.get("kinds", ["object", "happening"]),
        "num_frames": recipe.get("num_frames", 8),
        "batch_size": recipe.get("batch_size", 8),
        "seed": recipe.get("seed", 0),
        "scoring": profile.scoring,
    }
    inputs = {"base": model_ref(model_dir), "heldout": Path(worlds["heldout"]), **measure}

    def build(out: Path) -> dict[str, Any]:
        return {"competence": competence(model_dir, worlds["heldout"], **measure)}

    name = name or family
    return run_stage(f"competence {name}", paths.cache / "competence" / name, inputs, build, log=log)["competence"]


def base_job(
    profile_values: dict[str, Any],
    paths: Paths,
    family: str,
    worlds: dict[str, str],
    from_scratch: bool,
    seed: int | None = None,
) -> dict[str, Any]:
    """`stage_base` then `stage_competence`, as a plain function of plain values, for a worker process."""
    import torch

    from sf2t.experiment.paths import quiet

    profile = Profile(**profile_values)
    torch.set_num_threads(profile.torch_threads)
    base = stage_base(profile, paths, family, worlds, quiet, from_scratch=from_scratch, seed=seed)
    name = base_name(family, seed)
    competence = stage_competence(profile, paths, family, base["model_dir"], worlds, quiet, name=name)
    return {**base, "name": name, "competence": competence}


def base_jobs(profile: Profile, paths: Paths, worlds: dict[str, str], from_scratch: bool) -> list[tuple]:
    """Every base to train and measure: one per family (the one the runs fine-tune), then the extra
    base seeds of ``base.check_seeds`` (``{family: [seed, ...]}``), measured for the gate only."""
    values = {k: v for k, v in profile.to_dict().items() if k != "source"}
    jobs = [(values, paths, f, worlds, from_scratch) for f in profile.families]
    for family, seeds in sorted(profile.base.get("check_seeds", {}).items()):
        if family in profile.families:
            jobs += [(values, paths, family, worlds, from_scratch, int(s)) for s in seeds]
    return jobs


def check_borrowed_base(profile: Profile, out: Path, inputs: dict[str, Any], from_scratch: bool) -> None:
    """A borrowed base is used only as it is: never retrained into another profile's folder."""
    marker = read_marker(out)
    why = ""
    if from_scratch:
        why = "from_scratch would retrain it"
    elif not marker:
        why = "it is not trained yet"
    elif marker.get("fingerprint") != fingerprint(inputs, code=False):
        why = "its recipe, world or video counts differ from this profile's"
    if why:
        raise ProfileError(
            f"{profile.source or profile.name}: `bases: {profile.bases!r}` borrows {out}, but {why}. "
            f"Run profile {profile.bases!r} first, align the base inputs, or remove `bases` to train this "
            "profile's own."
        )


def gate_metric(profile: Profile, kind: str) -> str:
    """The competence measure the gate reads for ``kind``: ``competence_gate.metric``, one name for
    every kind or a map from kind to name (``accuracy`` or ``balanced_accuracy``)."""
    metric = profile.competence_gate.get("metric", "balanced_accuracy")
    return metric.get(kind, "balanced_accuracy") if isinstance(metric, dict) else metric


def gate(profile: Profile, competence: dict[str, dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Compare each base's competence with the profile's thresholds: the gate's metric must reach
    ``min_accuracy`` and, when the competence has a confidence interval, its lower bound must lie
    above chance (``ci_above_chance``, default true)."""
    mins = profile.competence_gate["min_accuracy"]
    ci_needed = profile.competence_gate.get("ci_above_chance", True)
    verdicts = {}
    for family, comp in competence.items():
        short = {}
        for kind, need in mins.items():
            metric, c = gate_metric(profile, kind), comp.get(kind, {})
            value, low, chance = c.get(metric), c.get("ci95_low"), c.get("chance")
            if value is None or value < need or (ci_needed and low is not None and low <= chance):
                short[kind] = {"metric": metric, "value": value, "required": need, "ci95_low": low, "chance": chance}
        verdicts[family] = {"passed": not short, "short": short, "competence": comp}
    return {
        "min_accuracy": mins,
        "metric": {kind: gate_metric(profile, kind) for kind in mins},
        "ci_above_chance": ci_needed,
        "on_fail": profile.competence_gate["on_fail"],
        "families": verdicts,
        "passed": all(v["passed"] for v in verdicts.values()),
    }


def gate_message(verdict: dict[str, Any], profile: Profile) -> str:
    lines = [f"base model(s) below the competence gate of profile {profile.name!r} ({profile.source}):"]
    for family, v in verdict["families"].items():
        for kind, s in v["short"].items():
            head = f"  {family}: {kind} {s['metric']}"
            if s["value"] is None or s["value"] < s["required"]:
                acc = "missing" if s["value"] is None else f"{s['value']:.3f}"
                lines.append(f"{head} {acc} < required {s['required']} (chance {s['chance']})")
            else:
                low, chance = s["ci95_low"], s["chance"]
                lines.append(f"{head} {s['value']:.3f} but its 95% CI starts at {low:.3f}, not above chance {chance}")
    lines.append(
        "A base that does not know the world makes every table meaningless. Improve the base recipe "
        "(`base` block of the profile: model size, steps, lr, curriculum) or the world's difficulty."
    )
    return "\n".join(lines)
