"""The experiment's configuration: one validated `Profile` per scale, read from
``configs/experiment/<name>.json``.

Everything the experiment chooses lives here and nowhere in code: families, seeds, world sizes and
difficulty, benchmark size, the **base recipe per family** (model size, schedule, curriculum: an open
research knob, plugged in by editing the ``base`` block), the competence gate, SFT / SF²T data and
LoRA settings, the ablation family, and the frame counts and playback speeds swept. A profile file
names only what differs from its ``extends`` parent, and `load_profile` takes further overrides
(dotted keys), so a notebook or a test can change one knob without a new file.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SETTINGS = ("base", "sft", "sf2t", "sft_sf2t", "control")
TASKS = ("counting", "consistency", "localization", "disorder", "rearrangement")
GATE_ACTIONS = ("stop", "warn")
#: The user's own data (the ``data`` block): what each key replaces of the synthetic world.
DATA_REPLACES = {"train_videos": "train", "sft": "labelled", "bench": "bench"}
#: The video counts a fragment world adds: the bases' position captions and SF²T's held-out task samples.
FRAGMENT_VIDEOS = ("fragment_base", "fragment_heldout")
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs" / "experiment"


class ProfileError(ValueError):
    """A profile that cannot run; the message names the file and every problem."""


@dataclass
class Profile:
    """One scale of the experiment (quick | mini | full | paper, or a user's file)."""

    name: str
    families: list[str]
    seeds: list[int]  # fine-tuning seeds for every family
    seeds_per_family: dict[str, list[int]] = field(default_factory=dict)  # overrides `seeds` per family
    settings: list[str] = field(default_factory=lambda: list(SETTINGS))
    world: dict[str, Any] = field(default_factory=dict)  # sf2t.world.WorldConfig fields
    world_seed: int = 0  # run seed of every split's world (splits own disjoint seed ranges)
    fragment_world: dict[str, Any] = field(default_factory=dict)  # WorldConfig overrides for SF²T's videos
    videos: dict[str, int] = field(default_factory=dict)  # base, train, labelled, heldout, bench
    bench: dict[str, Any] = field(default_factory=dict)  # questions_per_video, eval_per_category, frame_counts, speeds
    base: dict[str, Any] = field(default_factory=dict)  # {"default": recipe, "families": {family: overrides}}
    bases: str = ""  # the profile whose results/bases/<name>/ holds the bases (default: this one); must match
    competence_gate: dict[str, Any] = field(default_factory=dict)  # {"min_accuracy": {kind: acc}, "on_fail": ...}
    sft: dict[str, Any] = field(default_factory=dict)  # records_per_video, categories
    control: dict[str, Any] = field(default_factory=dict)  # records_per_video: the positive control's data
    sf2t: dict[str, Any] = field(default_factory=dict)  # n_samples, mix, frames_per_clip, tasks (difficulty)
    finetune: dict[str, Any] = field(default_factory=dict)  # TrainConfig overrides shared by every arm
    sft_sf2t_ratio: list[float] = field(default_factory=lambda: [1.0, 1.0])  # SFT : SF²T share of the mixture
    ablation: dict[str, Any] = field(default_factory=dict)  # {"family": str | None, "seeds": [...]}
    evaluation: dict[str, Any] = field(default_factory=dict)  # mode, normalization, batch_size, blind_baseline, ...
    answer_form: str = "letter"  # how every training record answers: the option's letter or its words
    task_eval: dict[str, Any] = field(default_factory=dict)  # n_per_task, settings, seed: SF²T's held-out tasks
    stats: dict[str, Any] = field(default_factory=dict)  # n_permutations, n_bootstrap, seed
    data: dict[str, Any] = field(default_factory=dict)  # the user's own data instead of the synthetic world's
    workers: int = 1  # independent runs in parallel processes (each with one torch thread)
    torch_threads: int = 1
    note: str = ""
    source: str = ""  # the file(s) the profile came from

    # ------------------------------------------------------------------ derived values

    def seeds_for(self, family: str) -> list[int]:
        return list(self.seeds_per_family.get(family, self.seeds))

    def base_recipe(self, family: str) -> dict[str, Any]:
        """The base recipe of ``family``: the default, updated by the family's own entries."""
        recipe = copy.deepcopy(self.base.get("default", {}))
        recipe.update(copy.deepcopy(self.base.get("families", {}).get(family, {})))
        return recipe

    @property
    def scoring(self) -> str:
        """How the experiment scores every question: ``letters`` or ``cloze`` (``evaluation.mode``)."""
        return self.evaluation.get("mode", "letters")

    def user_data(self) -> dict[str, Any]:
        """The ``data`` block with absolute paths (a relative path is taken from the repository root):
        ``train_videos`` (a folder of unlabelled videos: SF²T), ``sft`` and ``bench`` (``{"path": a
        JSONL file, "root": its videos folder}``; the root defaults to the file's folder)."""
        repo = CONFIG_DIR.parents[1]

        def absolute(p: str) -> str:
            return str(Path(p) if Path(p).is_absolute() else repo / p)

        out: dict[str, Any] = {}
        if self.data.get("train_videos"):
            out["train_videos"] = absolute(self.data["train_videos"])
        for key in ("sft", "bench"):
            if self.data.get(key):
                path = absolute(self.data[key]["path"])
                root = self.data[key].get("root")
                out[key] = {"path": path, "root": absolute(root) if root else str(Path(path).parent)}
        return out

    def fragment_world_config(self) -> dict[str, Any] | None:
        """The world of SF²T's fragment-task videos: ``world`` updated by ``fragment_world``, or None
        when the profile has no fragment world (then ``world`` serves every split). Frame order is
        visible to a tiny model only in a world of clear translations (research/frame_order), while
        the bases' captions and the benchmark's scene questions need the full set of actions."""
        return {**self.world, **self.fragment_world} if self.fragment_world else None

    def replaced_splits(self) -> set[str]:
        """The synthetic world's splits that the user's data replaces (not generated)."""
        return {split for key, split in DATA_REPLACES.items() if self.data.get(key)}

    def check_data(self) -> None:
        """Every file and folder of the ``data`` block exists: checked before anything runs."""
        data, missing = self.user_data(), []
        if "train_videos" in data and not Path(data["train_videos"]).is_dir():
            missing.append(f"data.train_videos: no folder {data['train_videos']}")
        for key in ("sft", "bench"):
            if key in data:
                if not Path(data[key]["path"]).is_file():
                    missing.append(f"data.{key}.path: no file {data[key]['path']}")
                if not Path(data[key]["root"]).is_dir():
                    missing.append(f"data.{key}.root: no folder {data[key]['root']}")
        if missing:
            raise ProfileError(f"{self.source or self.name}: the profile's data is missing:\n  " + "\n  ".join(missing))

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)

    # ------------------------------------------------------------------ validation

    def validate(self) -> Profile:
        from sf2t.bench.build.texts import FRAGMENT_WORDINGS
        from sf2t.models.families import FAMILIES
        from sf2t.world import WorldConfig

        where = self.source or f"profile {self.name!r}"
        problems: list[str] = []

        def need(ok: bool, msg: str) -> None:
            if not ok:
                problems.append(msg)

        need(bool(self.families), "families is empty")
        unknown = [f for f in self.families if f not in FAMILIES]
        need(not unknown, f"unknown families {unknown}; known: {sorted(FAMILIES)}")
        need(len(set(self.families)) == len(self.families), f"families has duplicates: {self.families}")
        for fam, seeds in {"(all)": self.seeds, **self.seeds_per_family}.items():
            need(
                bool(seeds) and all(isinstance(s, int) and s >= 0 for s in seeds) and len(set(seeds)) == len(seeds),
                f"seeds of {fam} must be distinct non-negative integers, got {seeds}",
            )
        need(set(self.seeds_per_family) <= set(self.families), "seeds_per_family names a family not in families")
        need(
            self.settings and set(self.settings) <= set(SETTINGS) and "base" in self.settings,
            f"settings must include 'base' and come from {SETTINGS}, got {self.settings}",
        )
        try:
            WorldConfig.from_dict(self.world)
        except (ValueError, TypeError) as exc:
            problems.append(f"world: {exc}")
        need(isinstance(self.fragment_world, dict), "fragment_world must be a mapping of world settings")
        if self.fragment_world and isinstance(self.fragment_world, dict):
            try:
                WorldConfig.from_dict(self.fragment_world_config())
            except (ValueError, TypeError) as exc:
                problems.append(f"fragment_world: {exc}")
            for split in FRAGMENT_VIDEOS:
                n = self.videos.get(split)
                need(
                    isinstance(n, int) and n >= 1,
                    f"videos.{split} must be a positive integer when the profile has a fragment_world, got {n!r}",
                )
        unknown_data = sorted(set(self.data) - set(DATA_REPLACES))
        need(not unknown_data, f"data: unknown key(s) {unknown_data}; known: {sorted(DATA_REPLACES)}")
        train_videos = self.data.get("train_videos")
        need(train_videos is None or isinstance(train_videos, str), "data.train_videos must be a folder path")
        for key in ("sft", "bench"):
            block = self.data.get(key)
            need(
                block is None
                or (isinstance(block, dict) and isinstance(block.get("path"), str) and set(block) <= {"path", "root"}),
                f'data.{key} must be {{"path": a JSONL file, "root": its videos folder (optional)}}, got {block!r}',
            )
        replaced = self.replaced_splits()
        for split in ("base", "train", "labelled", "heldout", "bench"):
            if split in replaced:
                continue
            n = self.videos.get(split)
            need(isinstance(n, int) and n >= 1, f"videos.{split} must be a positive integer, got {n!r}")
        for key in ("questions_per_video", "eval_per_category"):
            need(isinstance(self.bench.get(key), int), f"bench.{key} must be an integer")
        wording = self.bench.get("fragment_wording", "bench")
        need(
            wording in FRAGMENT_WORDINGS,
            f"bench.fragment_wording must be one of {FRAGMENT_WORDINGS} (the order questions in the benchmark's "
            f"own words or in the tasks'), got {wording!r}",
        )
        for fam in self.families:
            recipe = self.base_recipe(fam)
            need(isinstance(recipe.get("steps"), int) or recipe.get("curriculum"), f"base recipe of {fam}: no steps")
        checks = self.base.get("check_seeds", {})
        need(
            isinstance(checks, dict)
            and set(checks) <= set(FAMILIES)
            and all(isinstance(s, int) and s >= 0 for v in checks.values() for s in v),
            "base.check_seeds must map families to lists of extra base seeds (families not run are skipped)",
        )
        extra = set(self.base.get("families", {})) - set(FAMILIES)
        need(not extra, f"base.families names unknown families {sorted(extra)}")
        gate = self.competence_gate
        need(gate.get("on_fail") in GATE_ACTIONS, f"competence_gate.on_fail must be one of {GATE_ACTIONS}")
        metric = gate.get("metric", "balanced_accuracy")
        need(
            set(metric.values() if isinstance(metric, dict) else [metric]) <= {"accuracy", "balanced_accuracy"},
            "competence_gate.metric must be 'accuracy' or 'balanced_accuracy', or a map from kinds to those",
        )
        mins = gate.get("min_accuracy")
        need(
            isinstance(mins, dict) and mins and all(isinstance(v, int | float) and 0 <= v <= 1 for v in mins.values()),
            "competence_gate.min_accuracy must map question kinds (e.g. caption_object) to accuracies in [0, 1]",
        )
        need(
            isinstance(self.sft.get("records_per_video"), int) and self.sft["records_per_video"] >= 1,
            "sft.records_per_video must be a positive integer",
        )
        need(
            isinstance(self.sf2t.get("n_samples"), int) and self.sf2t["n_samples"] >= 1,
            "sf2t.n_samples must be a positive integer",
        )
        if "tasks" in self.sf2t:
            from sf2t.tasks import default_tasks

            try:
                default_tasks(options=self.sf2t["tasks"])
            except (ValueError, TypeError, AttributeError) as err:
                need(False, f"sf2t.tasks: {err}")
        need(
            len(self.sft_sf2t_ratio) == 2 and all(r > 0 for r in self.sft_sf2t_ratio),
            "sft_sf2t_ratio must be two positive numbers",
        )
        fam = self.ablation.get("family")
        need(fam is None or fam in self.families, f"ablation.family {fam!r} is not one of the families")
        need(isinstance(self.workers, int) and self.workers >= 1, "workers must be a positive integer")
        need(
            self.answer_form in ("letter", "text"), f"answer_form must be 'letter' or 'text', got {self.answer_form!r}"
        )
        need(
            self.evaluation.get("mode", "letters") in ("letters", "cloze"),
            f"evaluation.mode must be 'letters' or 'cloze', got {self.evaluation.get('mode')!r}",
        )
        need(
            self.evaluation.get("normalization", "char") in ("none", "token", "char"),
            "evaluation.normalization must be 'none', 'token' or 'char'",
        )
        if problems:
            raise ProfileError(f"{where}: invalid experiment profile:\n  " + "\n  ".join(problems))
        return self


# ---------------------------------------------------------------------- loading


#: Top-level fields a child profile replaces whole instead of merging into its parent's (a child's
#: ``"fragment_world": {}`` means none).
REPLACED_FIELDS = ("seeds_per_family", "fragment_world")


def _merge(base: dict[str, Any], extra: dict[str, Any], top: bool = True) -> dict[str, Any]:
    """Deep merge: dicts merge key by key (except `REPLACED_FIELDS`), anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if top and key in REPLACED_FIELDS:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, top=False)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[str]]:
    if path in seen:
        raise ProfileError(f"{path}: 'extends' loops back to itself")
    if not path.is_file():
        raise ProfileError(f"{path}: no such experiment profile")
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(values, dict):
        raise ProfileError(f"{path}: a profile is a JSON object")
    values = _without_comments(values)
    parent = values.pop("extends", None)
    if parent is None:
        return values, [str(path)]
    parent_path = path.parent / f"{parent}.json"
    if not parent_path.is_file():  # a user's profile may extend a shipped one
        parent_path = CONFIG_DIR / f"{parent}.json"
    parent_values, files = _read(parent_path.resolve(), (*seen, path))
    return _merge(parent_values, values), [*files, str(path)]


def _without_comments(value: Any) -> Any:
    """The profile without its ``_comment`` keys, at any depth: notes for readers, not settings."""
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if k != "_comment"}
    if isinstance(value, list):
        return [_without_comments(v) for v in value]
    return value


def set_dotted(values: dict[str, Any], key: str, value: Any) -> None:
    """``set_dotted(d, "base.default.steps", 300)`` sets ``d["base"]["default"]["steps"]``."""
    parts = key.split(".")
    node = values
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ProfileError(f"override {key!r}: {part!r} is not a mapping")
    node[parts[-1]] = value


def _display(file: str) -> str:
    """A profile file's name relative to the repository when it lies inside (so the recorded
    profile, and every stage fingerprint made from it, does not depend on the working directory)."""
    path, repo = Path(file).resolve(), CONFIG_DIR.parents[1]
    return path.relative_to(repo).as_posix() if path.is_relative_to(repo) else str(path)


def load_profile(
    name_or_path: str | os.PathLike,
    overrides: dict[str, Any] | None = None,
    config_dir: str | os.PathLike | None = None,
) -> Profile:
    """The profile ``name`` from ``configs/experiment/<name>.json`` (or a JSON path), with
    ``overrides`` ({"dotted.key": value}) applied, validated."""
    text = str(name_or_path)
    path = Path(text) if text.endswith(".json") else Path(config_dir or CONFIG_DIR) / f"{text}.json"
    values, files = _read(path.resolve())
    for key, value in (overrides or {}).items():
        set_dotted(values, key, value)
    known = set(Profile.__dataclass_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        raise ProfileError(f"{path}: unknown profile field(s) {unknown}; known: {sorted(known)}")
    values.setdefault("name", path.stem)
    values["source"] = " <- ".join(reversed([_display(f) for f in files]))
    try:
        profile = Profile(**values)
    except TypeError as exc:
        raise ProfileError(f"{path}: {exc}") from exc
    return profile.validate()
