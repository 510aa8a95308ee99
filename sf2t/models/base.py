"""The one `VideoLLM` interface over every family: inputs built with the model's own processor
and chat template, loss on the answer tokens only, letter scores read from the logits at the
answer position (no text parsing), cloze scores of option texts, greedy generation, and saving.

A training sequence is exactly the scoring prompt followed by the answer: the prompt ids come
from the processor (which expands the visual placeholders), the answer ids from the tokenizer.
So what the model is trained to put after the prompt is what letter scoring and generation read
after the same prompt, whatever the family's template does around the answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from sf2t.models.answer_loss import answer_loss
from sf2t.models.families import FamilySpec
from sf2t.models.inputs import IGNORE_INDEX, append_answer, check_frames, collate, insert_after_prompt

_ANSWER_MARK = "QQZXANSWERXZQQ"
#: The model-config field that says how often each video frame is shown (`TinySize.frame_repeat`).
FRAME_REPEAT_KEY = "sf2t_frame_repeat"
BASE_MARKER = "sf2t_base.json"  # beside a saved adapter: its base's identity (`sf2t.models.identity`)


@dataclass(frozen=True)
class AnswerFormat:
    """How an answer sits after the generation prompt: `prefix` + answer, then `end_of_turn`."""

    prefix: str
    end_of_turn: str


class VideoLLM:
    """A Hugging Face Video-LLM (or a PEFT wrapper of one) with its processor and family spec."""

    def __init__(
        self, spec: FamilySpec, model, processor, device: str | torch.device | None = None, origin: str | None = None
    ):
        self.spec = spec
        self.family = spec.name
        self.model = model
        self.processor = processor
        #: each video frame is shown this many times (a tiny model built with `TinySize.frame_repeat`)
        self.frame_repeat = int(getattr(getattr(model, "config", None), FRAME_REPEAT_KEY, 1) or 1)
        #: frames of the clip that end up in one temporal token group (a pipeline reads it: `frames_for`)
        self.temporal_merge = max(1, spec.temporal_merge // self.frame_repeat)
        self.device = torch.device(device) if device is not None else next(model.parameters()).device
        self.image_size: int | None = None  # the square frame side a tiny model was built for
        self.origin = origin  # how the base was made ("tiny:<family> seed ...", a folder, a hub id): for messages
        self._answer_format: AnswerFormat | None = None
        self._letter_cache: dict[tuple[str, ...], tuple[list[int], list[int]]] = {}

    def __repr__(self) -> str:
        return f"VideoLLM(family={self.family!r}, params={self.num_parameters():,}, device={self.device})"

    @property
    def tokenizer(self):
        return self.processor.tokenizer

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad or not trainable_only)

    def to(self, device: str | torch.device) -> VideoLLM:
        self.device = torch.device(device)
        self.model.to(self.device)
        return self

    # ---- prompts -----------------------------------------------------------------------------

    def user_content(self, prompt: str, num_frames: int, numbered: bool) -> list[dict]:
        """The user turn: the frames, then the prompt.

        Numbered frames are written inline as ``"Frame k: <image>"`` lines, so each number sits
        next to its frame whatever order the family's template renders content parts in.
        """
        if numbered:
            lines = [f"Frame {k}: {self.spec.image_placeholder}" for k in range(1, num_frames + 1)]
            return [{"type": "text", "text": "\n".join(lines) + "\n" + prompt}]
        return [{"type": "video"}, {"type": "text", "text": prompt}]

    def prompt_text(self, prompt: str, num_frames: int, numbered: bool = False) -> str:
        """The chat-templated text up to and including the generation prompt."""
        messages = [{"role": "user", "content": self.user_content(prompt, num_frames, numbered)}]
        return self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    @property
    def answer_format(self) -> AnswerFormat:
        """Read from the chat template once: what comes between the generation prompt and the
        answer, and the end-of-turn text after it. Templates whose assistant turn does not
        extend the generation prompt (e.g. LLaVA-OneVision's) fall back to no prefix and the
        tokenizer's eos token."""
        if self._answer_format is None:
            user = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
            prompt = self.processor.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
            full = self.processor.apply_chat_template(
                user + [{"role": "assistant", "content": [{"type": "text", "text": _ANSWER_MARK}]}],
                tokenize=False,
            )
            prefix, end = "", ""
            if full.startswith(prompt) and _ANSWER_MARK in full[len(prompt) :]:
                prefix, end = full[len(prompt) :].split(_ANSWER_MARK, 1)
            end = end.strip() or (self.tokenizer.eos_token or "")
            self._answer_format = AnswerFormat(prefix=prefix, end_of_turn=end)
        return self._answer_format

    # ---- batches -----------------------------------------------------------------------------

    def encode(
        self,
        frames_list: Sequence[np.ndarray],
        prompts: Sequence[str],
        answers: Sequence[str] | None = None,
        numbered: Sequence[bool] | None = None,
        fps: Sequence[float | None] | None = None,
    ) -> dict[str, torch.Tensor]:
        """A right-padded batch. With answers: prompt + answer + end of turn, and `labels` equal
        to -100 except on the answer and end-of-turn tokens. Without: ends with the generation
        prompt. `fps` (per clip) feeds families whose prompts carry timestamps (Qwen3-VL); the
        default is 1 frame per second."""
        n = len(frames_list)
        numbered = [False] * n if numbered is None else list(numbered)
        fps = [None] * n if fps is None else list(fps)
        if len(prompts) != n or len(numbered) != n or len(fps) != n or (answers is not None and len(answers) != n):
            raise ValueError(
                f"encode needs one prompt, answer, numbered flag and fps per clip: got {n} clips, "
                f"{len(prompts)} prompts, {None if answers is None else len(answers)} answers, "
                f"{len(numbered)} numbered flags, {len(fps)} fps values"
            )
        if len(self.batch_groups(frames_list, numbered)) > 1:
            lengths = sorted({len(f) for f, num in zip(frames_list, numbered, strict=True) if not num})
            raise ValueError(
                f"{self.family} batches videos as one (batch, frames, ...) tensor, so every video in a batch "
                f"needs the same frame count (got {lengths}); split the batch with `llm.batch_groups`"
            )
        samples = [
            self.encode_sample(
                frames_list[i], prompts[i], None if answers is None else answers[i], numbered[i], fps[i], index=i
            )
            for i in range(n)
        ]
        return self.collate(samples)

    def encode_sample(
        self,
        frames: np.ndarray,
        prompt: str,
        answer: str | None = None,
        numbered: bool = False,
        fps: float | None = None,
        index: int = 0,
    ) -> dict[str, torch.Tensor]:
        """One clip as `encode` encodes it before padding: a training run keeps these per record
        and collates them again each time the record is drawn (`collate` gives the same batch)."""
        sample = self._encode_prompt(frames, prompt, bool(numbered), fps, index=index)
        if answer is not None:
            sample = append_answer(sample, *self._answer_ids(answer))
        return sample

    def collate(self, samples: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """Samples of `encode_sample` as one right-padded batch (new tensors: samples are not changed)."""
        return collate(list(samples), self.tokenizer)

    def batch_groups(
        self, frames_list: Sequence[np.ndarray], numbered: Sequence[bool] | None = None
    ) -> list[list[int]]:
        """Indices of clips that can share one batch, in order. Families that stack videos into
        one (batch, frames, ...) tensor need equal frame counts; the others take any mix."""
        return self.groups_for_counts([len(f) for f in frames_list], numbered)

    def groups_for_counts(self, counts: Sequence[int], numbered: Sequence[bool] | None = None) -> list[list[int]]:
        """`batch_groups` from the clips' frame counts alone (what a cached sample keeps)."""
        numbered = [False] * len(counts) if numbered is None else list(numbered)
        if not self.spec.stacks_videos:
            return [list(range(len(counts)))] if len(counts) else []
        groups: dict[int, list[int]] = {}
        for i, (count, num) in enumerate(zip(counts, numbered, strict=True)):
            key = -1 if num else count
            groups.setdefault(key, []).append(i)
        if -1 in groups and len(groups) > 1:  # numbered clips (images) ride with the first video group
            images = groups.pop(-1)
            first = next(iter(groups))
            groups[first] = sorted(groups[first] + images)
        return sorted(groups.values())

    def _encode_prompt(
        self, frames: np.ndarray, prompt: str, numbered: bool, fps: float | None, index: int = 0
    ) -> dict[str, torch.Tensor]:
        frames = check_frames(frames, index)
        if not numbered and self.frame_repeat > 1:
            frames = np.repeat(frames, self.frame_repeat, axis=0)
            fps = None if fps is None else fps * self.frame_repeat
        merge = self.spec.temporal_merge
        if not numbered and len(frames) < merge:
            # a model that merges frames in pairs repeats a lone frame itself (Qwen2-VL) or refuses
            # it (Qwen3-VL): repeat it here so every family takes a one-frame clip
            frames = np.concatenate([frames] + [frames[-1:]] * (merge - len(frames)))
        text = self.prompt_text(prompt, len(frames), numbered)
        kwargs: dict = {}
        if numbered:
            kwargs["images"] = [list(frames)]
            kwargs.update(self.spec.image_kwargs)
        else:
            kwargs["videos"] = [frames]
            kwargs["do_sample_frames"] = False
            if self.spec.needs_video_metadata:
                kwargs["video_metadata"] = [
                    {
                        "fps": float(fps or 1.0),
                        "total_num_frames": len(frames),
                        "frames_indices": list(range(len(frames))),
                    }
                ]
        out = self.processor(text=[text], return_tensors="pt", **kwargs)
        sample = {key: value for key, value in out.items() if isinstance(value, torch.Tensor)}
        sample["labels"] = torch.full_like(sample["input_ids"], IGNORE_INDEX)
        return sample

    def _answer_ids(self, answer: str) -> tuple[list[int], list[int]]:
        fmt = self.answer_format
        answer_ids = self.tokenizer.encode(fmt.prefix + answer, add_special_tokens=False)
        end_ids = self.tokenizer.encode(fmt.end_of_turn, add_special_tokens=False) if fmt.end_of_turn else []
        return answer_ids, end_ids

    def to_device(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Move a batch to the model's device; pixel tensors take the model's float dtype."""
        dtype = next(self.model.parameters()).dtype
        moved = {}
        for key, value in batch.items():
            value = value.to(self.device)
            if value.is_floating_point():
                value = value.to(dtype)
            moved[key] = value
        return moved

    # ---- training, scoring, generation -------------------------------------------------------

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean cross-entropy over the answer tokens (the labels not equal to -100)."""
        if "labels" not in batch or not (batch["labels"] != IGNORE_INDEX).any():
            raise ValueError("loss needs a batch encoded with answers (no answer tokens in `labels`)")
        return answer_loss(self.model, self.to_device(batch))

    def letter_token_ids(self, letters: Sequence[str]) -> tuple[list[int], list[int]]:
        """(tokens shared by every option's answer, then one distinguishing token per letter).

        Letters are tokenized exactly as training writes answers (answer prefix + letter), so a
        tokenizer that writes " A" after "ASSISTANT:" is read at " A". Shared leading tokens (a
        lone space in some tokenizers) are appended to the prompt before reading the logits.
        """
        key = tuple(letters)
        if key not in self._letter_cache:
            if len(set(key)) != len(key) or not key:
                raise ValueError(f"letters must be distinct and non-empty, got {list(key)}")
            encoded = [self._answer_ids(letter)[0] for letter in key]
            common = 0
            while all(len(e) > common for e in encoded) and len({e[common] for e in encoded}) == 1:
                common += 1
            if any(len(e) <= common for e in encoded):
                raise ValueError(f"letters {list(key)} do not tokenize to distinct tokens: {encoded}")
            ids = [e[common] for e in encoded]
            if len(set(ids)) != len(ids):
                raise ValueError(f"letters {list(key)} share their first distinguishing token: {encoded}")
            self._letter_cache[key] = (encoded[0][:common], ids)
        return self._letter_cache[key]

    @torch.no_grad()
    def letter_scores_batch(
        self,
        frames_list: Sequence[np.ndarray],
        prompts: Sequence[str],
        letters_list: Sequence[Sequence[str]],
        numbered: Sequence[bool] | None = None,
        fps: Sequence[float | None] | None = None,
    ) -> list[np.ndarray]:
        """Per clip, log-softmax over its letters of the next-token logits after the prompt.

        One forward pass per batch (families that stack videos split mixed frame counts into
        groups); right padding, and the logits are read at each clip's last real position, so a
        clip scores the same alone or in a batch up to float rounding (about 1e-6: padding changes matmul shapes)."""
        if len(letters_list) != len(prompts):
            raise ValueError(f"one letter list per prompt: {len(letters_list)} lists, {len(prompts)} prompts")
        numbered = [False] * len(frames_list) if numbered is None else list(numbered)
        fps = [None] * len(frames_list) if fps is None else list(fps)
        groups = self.batch_groups(frames_list, numbered)
        if len(groups) > 1:
            scores: list[np.ndarray] = [np.empty(0)] * len(frames_list)
            for group in groups:
                part = self.letter_scores_batch(
                    [frames_list[i] for i in group],
                    [prompts[i] for i in group],
                    [letters_list[i] for i in group],
                    [numbered[i] for i in group],
                    [fps[i] for i in group],
                )
                for i, score in zip(group, part, strict=True):
                    scores[i] = score
            return scores
        batch = self.encode(frames_list, prompts, numbered=numbered, fps=fps)
        batch.pop("labels")
        lengths = batch["attention_mask"].sum(dim=1).tolist()
        rows, letter_ids = zip(*(self.letter_token_ids(letters) for letters in letters_list), strict=True)
        if any(rows):  # shared answer tokens go after each prompt: re-pad with them in place
            batch = insert_after_prompt(batch, rows, lengths, self.tokenizer)
            lengths = batch["attention_mask"].sum(dim=1).tolist()
        last = torch.tensor([int(n) - 1 for n in lengths])
        positions, inverse = torch.unique(last, return_inverse=True)
        was_training = self.model.training
        self.model.eval()
        try:
            logits = self.model(**self.to_device(batch), logits_to_keep=positions.to(self.device)).logits
        finally:
            self.model.train(was_training)
        picked = logits[torch.arange(len(last), device=logits.device), inverse.to(logits.device)].float()
        return [torch.log_softmax(picked[i, ids], dim=-1).cpu().numpy() for i, ids in enumerate(letter_ids)]

    def letter_scores(
        self, frames: np.ndarray, prompt: str, letters: Sequence[str], numbered: bool = False, fps: float | None = None
    ) -> np.ndarray:
        """Log-probabilities over `letters` (they sum to one in probability) for one clip."""
        return self.letter_scores_batch([frames], [prompt], [letters], numbered=[numbered], fps=[fps])[0]

    def option_scores(
        self,
        frames_list: Sequence[np.ndarray],
        prompts: Sequence[str],
        options_list: Sequence[Sequence[str]],
        numbered: Sequence[bool] | None = None,
        fps: Sequence[float | None] | None = None,
        reuse_prefix: bool = True,
    ) -> list[list[tuple[float, int]]]:
        """Cloze scores: per clip, per option, the summed log-probability of the option's words as
        the answer after the prompt, and their token count (`sf2t.models.options`)."""
        from sf2t.models.options import option_logprobs

        return option_logprobs(self, frames_list, prompts, options_list, numbered, fps, reuse_prefix)

    @torch.no_grad()
    def generate(
        self,
        frames: np.ndarray,
        prompt: str,
        max_new_tokens: int = 16,
        numbered: bool = False,
        fps: float | None = None,
    ) -> str:
        """Greedy decoding; returns the answer text only (no prompt, no special tokens)."""
        batch = self.encode([frames], [prompt], numbered=[numbered], fps=[fps])
        batch.pop("labels")
        stop = {self.tokenizer.eos_token_id}
        end_ids = self.tokenizer.encode(self.answer_format.end_of_turn, add_special_tokens=False)
        if len(end_ids) == 1:
            stop.add(end_ids[0])
        stop.discard(None)
        was_training = self.model.training
        self.model.eval()
        try:
            out = self.model.generate(
                **self.to_device(batch),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                eos_token_id=sorted(stop),
                pad_token_id=self.tokenizer.pad_token_id,
            )
        finally:
            self.model.train(was_training)
        new_tokens = out[0, batch["input_ids"].shape[1] :]
        return self.tokenizer.decode(new_tokens, skip_special_tokens=True).strip()

    # ---- saving ------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """The model (or, after LoRA, only the adapter in PEFT's layout) and the processor, as
        safetensors, loadable with `sf2t.models.load` (or `load(base, adapter=path)`). An adapter
        gets its base's identity beside it (`BASE_MARKER`), so it loads on that base only."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path, safe_serialization=True)
        self.processor.save_pretrained(path)
        if self.is_adapter:
            from sf2t.models.identity import base_identity

            marker = json.dumps(base_identity(self), indent=1, sort_keys=True) + "\n"
            (path / BASE_MARKER).write_text(marker, encoding="utf-8")
        return path

    @property
    def is_adapter(self) -> bool:
        """True when `model` is a PEFT wrapper (saving writes the adapter only)."""
        from peft import PeftModel

        return isinstance(self.model, PeftModel)
