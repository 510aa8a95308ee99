"""The Video-LLM adapters on tiny random instances of every family, offline: batches built with
each model's own processor, answer-only labels, letter scores, generation, LoRA, save/load."""

import copy
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # loading must never reach a hub

import numpy as np
import pytest
import torch

from sf2t.models import (
    FAMILIES,
    IGNORE_INDEX,
    AnswerFormat,
    VideoLLM,
    apply_lora,
    frames_for,
    load,
    lora_config,
    matching_modules,
    tiny,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing.*:FutureWarning")

FAMILY_NAMES = sorted(FAMILIES)
PROMPT = "How many frames are in the video?\nA. 4\nB. 8\nAnswer with the option's letter."


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.fixture(scope="module", params=FAMILY_NAMES)
def llm(request) -> VideoLLM:
    torch.manual_seed(0)
    return tiny(request.param, seed=0)


@pytest.fixture(scope="module")
def saved(llm, tmp_path_factory):
    """Each family's tiny model saved once, as a GPU user's checkpoint folder would be."""
    return llm.save(tmp_path_factory.mktemp(f"{llm.family}-base"))


def clips(n=2, t=8, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (t, 64, 64, 3), dtype=np.uint8) for _ in range(n)]


def fresh(llm: VideoLLM) -> VideoLLM:
    """A copy whose model LoRA may modify without touching the shared fixture."""
    return VideoLLM(llm.spec, copy.deepcopy(llm.model), llm.processor)


def logits(llm: VideoLLM, batch) -> torch.Tensor:
    with torch.no_grad():
        return llm.model(**llm.to_device(batch)).logits


def perturb_lora(llm: VideoLLM, seed=1) -> None:
    """LoRA's B starts at zero (the adapter is then a no-op): give it weights to compare."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in llm.model.named_parameters():
            if "lora_" in name:
                param.copy_(torch.randn(param.shape, generator=gen) * 0.05)


# ---- batches ---------------------------------------------------------------------------------


def test_labels_cover_exactly_the_answer_and_end_of_turn(llm):
    answers = ["B", "yes, 3 frames"]
    batch = llm.encode(clips(), [PROMPT, "Is the order correct?"], answers, numbered=[False, True])
    fmt = llm.answer_format
    for i, answer in enumerate(answers):
        labels, ids, mask = batch["labels"][i], batch["input_ids"][i], batch["attention_mask"][i]
        kept = labels != IGNORE_INDEX
        assert llm.tokenizer.decode(labels[kept]) == fmt.prefix + answer + fmt.end_of_turn
        assert torch.equal(labels[kept], ids[kept])
        # the answer is the end of the real sequence, and nothing in the padding is learned
        length = int(mask.sum())
        assert kept.nonzero().max().item() == length - 1
        assert not kept[length:].any()
        assert kept.sum() < length


def test_without_answers_the_batch_ends_with_the_generation_prompt(llm):
    batch = llm.encode(clips(1), [PROMPT])
    assert (batch["labels"] == IGNORE_INDEX).all()
    text = llm.tokenizer.decode(batch["input_ids"][0])
    assert text.endswith(llm.prompt_text(PROMPT, 8).rsplit(PROMPT, 1)[1])


def test_numbered_frames_are_shown_with_their_numbers(llm):
    frames = clips(1, t=5)
    as_video = llm.encode(frames, [PROMPT], numbered=[False])
    numbered = llm.encode(frames, [PROMPT], numbered=[True])
    text = llm.tokenizer.decode(numbered["input_ids"][0])
    assert all(f"Frame {k}:" in text for k in range(1, 6)) and "Frame 6:" not in text
    assert "Frame 1:" not in llm.tokenizer.decode(as_video["input_ids"][0])
    assert as_video["input_ids"].shape != numbered["input_ids"].shape or not torch.equal(
        as_video["input_ids"], numbered["input_ids"]
    )


def test_temporal_merge_matches_the_video_tokens(llm):
    """Qwen-VL models merge frames in pairs: 8 frames are 4 temporal groups, and the frame plan says so."""
    expected = 2 if llm.family.startswith("qwen") else 1
    assert llm.temporal_merge == expected == frames_for(llm).temporal_merge == frames_for(llm.family).temporal_merge
    if expected == 1:
        return
    batch = llm.encode(clips(1, t=8), [PROMPT])
    grid = batch["video_grid_thw"][0]
    assert grid[0].item() == 8 // llm.temporal_merge
    merge = llm.processor.video_processor.merge_size
    video_tokens = (batch["input_ids"][0] == llm.processor.video_token_id).sum().item()
    assert video_tokens == grid.prod().item() // merge**2 == 4 * (grid[1] * grid[2]).item() // merge**2


def test_frame_repeat_gives_each_frame_its_own_token_group(tmp_path):
    """A Qwen model built with frame_repeat=2 shows each video frame twice, so every temporal token
    group holds one frame (the order inside a merged pair is invisible to the LM); numbered frames
    stay single; the setting is saved with the model; a default model's config is untouched."""
    llm, plain = tiny("qwen2_vl", frame_repeat=2), tiny("qwen2_vl")
    assert llm.frame_repeat == 2 and llm.temporal_merge == 1 == frames_for(llm).temporal_merge
    clip = clips(1, t=4)[0]
    batch = llm.encode([clip], [PROMPT])
    assert batch["video_grid_thw"][0][0].item() == 4
    twice = plain.encode([np.repeat(clip, 2, axis=0)], [PROMPT])
    for key in ("input_ids", "pixel_values_videos", "video_grid_thw"):
        assert torch.equal(batch[key], twice[key])
    numbered = llm.encode([clip], [PROMPT], numbered=[True])
    assert torch.equal(numbered["input_ids"], plain.encode([clip], [PROMPT], numbered=[True])["input_ids"])
    loaded = load(llm.save(tmp_path / "repeat"))
    assert loaded.frame_repeat == 2 and loaded.temporal_merge == 1
    assert not hasattr(plain.model.config, "sf2t_frame_repeat") and plain.frame_repeat == 1
    with pytest.raises(ValueError, match="frame_repeat 2 for llava_onevision: it must be 1"):
        tiny("llava_onevision", frame_repeat=2)
    from sf2t.train.config import ConfigError, TrainConfig

    with pytest.raises(ConfigError, match="model_size: frame_repeat 2 for llava_onevision"):  # before any training
        TrainConfig(model="tiny:llava_onevision", model_size={"frame_repeat": 2}, data=[{"path": "x.jsonl"}]).validate()
    TrainConfig(model="tiny:qwen2_vl", model_size={"frame_repeat": 2}, data=[{"path": "x.jsonl"}]).validate()


def test_frames_are_checked(llm):
    with pytest.raises(ValueError, match="clip 0: frames must be an array"):
        llm.encode([np.zeros((64, 64, 3), np.uint8)], [PROMPT])
    with pytest.raises(ValueError, match="uint8"):
        llm.encode([np.zeros((2, 64, 64, 3), np.float32)], [PROMPT])
    with pytest.raises(ValueError, match="one prompt, answer"):
        llm.encode(clips(2), [PROMPT])


def test_clips_of_any_length_train_and_score(llm):
    one, five = clips(1, t=1)[0], clips(1, t=5)[0]
    for frames in ([one], [five]):
        assert torch.isfinite(llm.loss(llm.encode(frames, [PROMPT], ["A"])))
    groups = llm.batch_groups([one, five, one], [False, False, True])
    assert sorted(i for g in groups for i in g) == [0, 1, 2]
    if llm.spec.stacks_videos:
        assert len(groups) == 2
        with pytest.raises(ValueError, match="same frame count.*batch_groups"):
            llm.encode([one, five], [PROMPT, PROMPT])
    else:
        assert groups == [[0, 1, 2]]
    # scoring splits mixed lengths itself, and a clip scores the same in any batch
    mixed = llm.letter_scores_batch([one, five, one], [PROMPT] * 3, [["A", "B"]] * 3, [False, False, True])
    np.testing.assert_allclose(mixed[1], llm.letter_scores(five, PROMPT, ["A", "B"]), atol=1e-5)
    np.testing.assert_allclose(mixed[2], llm.letter_scores(one, PROMPT, ["A", "B"], numbered=True), atol=1e-5)


# ---- scoring and generation ------------------------------------------------------------------


def test_letters_are_single_tokens_after_the_answer_prefix(llm):
    prefix = llm.answer_format.prefix
    for letter in "ABCDEFGHIJ":
        assert len(llm.tokenizer.encode(prefix + letter, add_special_tokens=False)) == 1


def test_letter_scores_are_log_probs_over_the_asked_letters(llm):
    frames = clips(3)
    scores = llm.letter_scores(frames[0], PROMPT, list("ABCD"))
    assert scores.shape == (4,) and np.isfinite(scores).all()
    assert np.isclose(np.logaddexp.reduce(scores), 0.0, atol=1e-5)
    batch = llm.letter_scores_batch(
        frames,
        [PROMPT, "Order?", "Which frame?"],
        [list("ABCD"), ["A", "B"], list("ABCDEFGHIJ")],
        numbered=[False, True, False],
    )
    assert [s.shape for s in batch] == [(4,), (2,), (10,)]
    np.testing.assert_allclose(batch[0], scores, atol=1e-5)
    np.testing.assert_allclose(batch[1], llm.letter_scores(frames[1], "Order?", ["A", "B"], numbered=True), atol=1e-5)


def scores_where_training_puts_the_letter(llm, frames, letters, answer):
    """Log-softmax over the letters of the logits that predict the answer's letter token in a
    training sequence (labels mark the answer; shared leading tokens come first)."""
    batch = llm.encode([frames], [PROMPT], [answer])
    shared, ids = llm.letter_token_ids(letters)
    first_label = int((batch["labels"][0] != IGNORE_INDEX).nonzero()[0])
    letter_position = first_label + len(shared)
    assert batch["input_ids"][0, letter_position] == ids[letters.index(answer)]
    full = logits(llm, batch)[0, letter_position - 1]
    return torch.log_softmax(full[ids], dim=-1).numpy()


def test_letter_scores_read_where_training_puts_the_answer(llm):
    frames = clips(1)[0]
    expected = scores_where_training_puts_the_letter(llm, frames, ["A", "B", "C"], "B")
    np.testing.assert_allclose(llm.letter_scores(frames, PROMPT, ["A", "B", "C"]), expected, atol=1e-5)


def test_answer_prefix_of_several_tokens_is_read_after_its_shared_tokens():
    """Real tokenizers may split the text before the letter (e.g. a lone space); the shared
    tokens then go after the prompt and the letter is read one position later."""
    llm = tiny("qwen2_vl")
    llm._answer_format = AnswerFormat(prefix="Answer: ", end_of_turn="<|im_end|>")
    shared, ids = llm.letter_token_ids(list("ABCD"))
    assert len(shared) >= 1 and len(set(ids)) == 4
    frames = clips(2)
    expected = scores_where_training_puts_the_letter(llm, frames[0], list("ABCD"), "C")
    np.testing.assert_allclose(llm.letter_scores(frames[0], PROMPT, list("ABCD")), expected, atol=1e-5)
    batch = llm.letter_scores_batch(frames, [PROMPT, "Order?"], [list("ABCD"), list("ABCD")])
    np.testing.assert_allclose(batch[0], expected, atol=1e-5)


def test_letters_must_be_distinct(llm):
    with pytest.raises(ValueError, match="distinct"):
        llm.letter_scores(clips(1)[0], PROMPT, ["A", "A"])


def test_cloze_scores_reuse_the_prompt_cache_and_equal_whole_sequences(llm):
    """The options of a question share one encoded prompt (its key/value cache); that gives the
    same log-probabilities as scoring each option as its own full sequence, for every family,
    with prompts of different lengths in one call, numbered frames and a LoRA adapter."""
    frames = clips(3, 8) + clips(1, 4, seed=2) + clips(1, 2, seed=3)
    prompts = ["Is the order right?", "Is the order right?", "Which order?", "How many frames?", "Same?"]
    options = [["yes", "no"], ["no", "yes"], ["3 1 4 2", "1 2 3", "4 3 2 1"], ["4", "8", "16"], ["same", "top-left"]]
    numbered = [False, False, False, False, True]
    model = apply_lora(fresh(llm), lora_config(llm, rank=4))
    perturb_lora(model)
    for candidate in (llm, model):
        cached = candidate.option_scores(frames, prompts, options, numbered)
        whole = candidate.option_scores(frames, prompts, options, numbered, reuse_prefix=False)
        for c, w in zip(cached, whole, strict=True):
            assert [n for _, n in c] == [n for _, n in w]
            assert np.allclose([s for s, _ in c], [s for s, _ in w], atol=1e-4)
    trained = candidate.encode(frames[:1], prompts[:1], answers=["yes"])  # what training puts after the prompt
    assert int((trained["labels"] != -100).sum()) == cached[0][0][1]


def test_generate_returns_the_answer_text(llm):
    text = llm.generate(clips(1)[0], PROMPT, max_new_tokens=4)
    assert isinstance(text, str)
    assert PROMPT not in text and "<|im_start|>" not in text


# ---- LoRA ------------------------------------------------------------------------------------


def test_lora_targets_only_the_language_model_by_default(llm):
    config = lora_config(llm)
    names = matching_modules(llm, config.target_modules)
    assert names and all(llm.spec.lm_module in name for name in names)
    with_vision = matching_modules(llm, lora_config(llm, include_vision=True).target_modules)
    assert set(names) < set(with_vision)
    only_v = matching_modules(llm, lora_config(llm, targets=["v_proj"]).target_modules)
    assert only_v and all(name.endswith("v_proj") and llm.spec.lm_module in name for name in only_v)


def test_training_step_gives_a_finite_loss_and_gradients_only_on_lora(llm):
    torch.manual_seed(0)
    adapted = apply_lora(fresh(llm), lora_config(llm, rank=4))
    adapted.model.train()
    batch = adapted.encode(clips(), [PROMPT, "Which colour?"], ["B", "red"], numbered=[False, True])
    loss = adapted.loss(batch)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    with_grad = {n for n, p in adapted.model.named_parameters() if p.grad is not None}
    trainable = {n for n, p in adapted.model.named_parameters() if p.requires_grad}
    assert with_grad and with_grad == trainable
    assert all("lora_" in n and llm.spec.lm_module in n for n in with_grad)
    assert any(p.grad.abs().sum() > 0 for n, p in adapted.model.named_parameters() if p.grad is not None)
    assert 0 < adapted.num_parameters(trainable_only=True) < 0.1 * adapted.num_parameters()


def test_answer_position_loss_equals_the_models_own_loss(llm):
    """`llm.loss` (and the training loop) read logits at the answer positions only: same value and
    same gradients as ``model(**batch).loss``, on rows of different lengths and answer lengths."""
    from sf2t.models.answer_loss import answer_loss

    model = copy.deepcopy(llm.model)
    model.eval()
    batch = llm.encode(clips(3), [PROMPT, "Which colour?", "What happens?"], ["B", "red", "the square moves left"])
    reference = model(**batch).loss
    reference.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    loss = answer_loss(model, batch)
    loss.backward()
    assert torch.allclose(loss, reference, rtol=1e-5, atol=1e-6)
    assert grads.keys() == {n for n, p in model.named_parameters() if p.grad is not None}
    assert all(
        torch.allclose(p.grad, grads[n], rtol=1e-4, atol=1e-6) for n, p in model.named_parameters() if n in grads
    )
    assert torch.allclose(llm.loss(batch), reference, rtol=1e-5, atol=1e-6)


def test_an_encoded_sample_collates_into_exactly_the_encoded_batch(llm):
    frames, prompts, answers = clips(2), [PROMPT, "Which colour?"], ["B", "red"]
    batch = llm.encode(frames, prompts, answers)
    samples = [llm.encode_sample(f, p, a) for f, p, a in zip(frames, prompts, answers, strict=True)]
    again = llm.collate(samples)
    assert batch.keys() == again.keys() and all(torch.equal(batch[k], again[k]) for k in batch)


def test_loss_needs_answers(llm):
    with pytest.raises(ValueError, match="answers"):
        llm.loss(llm.encode(clips(1), [PROMPT]))


# ---- saving and loading ----------------------------------------------------------------------


def test_save_and_load_give_identical_logits_offline(llm, saved):
    loaded = load(saved)
    assert loaded.family == llm.family and loaded.temporal_merge == llm.temporal_merge
    frames, prompts = clips(), [PROMPT, "Which colour?"]
    before = llm.encode(frames, prompts, ["A", "red"], numbered=[False, True])
    after = loaded.encode(frames, prompts, ["A", "red"], numbered=[False, True])
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert torch.equal(logits(llm, before), logits(loaded, after))
    assert all(f.suffix != ".bin" for f in saved.iterdir())
    assert (saved / "model.safetensors").is_file()


def test_adapter_save_and_load_give_identical_logits(llm, saved, tmp_path):
    adapted = apply_lora(fresh(llm), lora_config(llm))
    perturb_lora(adapted)
    adapted.model.eval()
    folder = adapted.save(tmp_path / "adapter")
    assert (folder / "adapter_model.safetensors").is_file() and not (folder / "model.safetensors").exists()
    loaded = load(saved, adapter=folder)
    assert loaded.is_adapter
    batch = llm.encode(clips(1), [PROMPT], ["B"])
    expected = logits(adapted, batch)
    assert torch.equal(expected, logits(loaded, batch))
    assert not torch.equal(expected, logits(llm, batch))  # the adapter really is applied
    assert isinstance(loaded.generate(clips(1)[0], PROMPT, max_new_tokens=2), str)
    np.testing.assert_allclose(
        loaded.letter_scores(clips(1)[0], PROMPT, ["A", "B"]),
        adapted.letter_scores(clips(1)[0], PROMPT, ["A", "B"]),
        atol=1e-6,
    )
    with pytest.raises(FileNotFoundError, match="adapter folder; load its base model with adapter="):
        load(folder)


# ---- errors and sizes (one family is enough) -------------------------------------------------


def test_unknown_family_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown model family 'gpt2'.*qwen2_vl"):
        tiny("gpt2")


def test_folder_of_another_family_is_refused(tmp_path):
    folder = tiny("internvl").save(tmp_path / "internvl")
    with pytest.raises(ValueError, match="model_type is 'internvl', which is not family 'qwen2_vl'"):
        load(folder, family="qwen2_vl")
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "bert"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="matches no supported Video-LLM family"):
        load(folder)
    with pytest.raises(FileNotFoundError, match="no such model folder"):
        load(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no config.json"):
        load(tmp_path)


def test_adapter_that_does_not_match_the_base_is_refused(tmp_path):
    qwen = tiny("qwen2_vl")
    base = qwen.save(tmp_path / "qwen-base")
    adapter = apply_lora(tiny("llava_onevision"), lora_config(tiny("llava_onevision"))).save(tmp_path / "ov")
    with pytest.raises(ValueError, match="trained on a 'llava_onevision' model"):
        load(base, adapter=adapter)
    wider = tiny("qwen2_vl", hidden_size=96, num_heads=4)
    wide_adapter = apply_lora(wider, lora_config(wider)).save(tmp_path / "wide")
    with pytest.raises(ValueError, match="does not match the base model"):
        load(base, adapter=wide_adapter)
    with pytest.raises(FileNotFoundError, match="not a PEFT adapter folder"):
        load(base, adapter=tmp_path)


def test_adapter_records_its_base_and_refuses_any_other(tmp_path):
    """A tiny base of another seed or family takes the adapter's tensors without complaint: the
    identity saved beside the adapter is what refuses it, naming both bases."""
    from sf2t.models import attach_adapter

    base = tiny("qwen2_vl", seed=0).save(tmp_path / "base")
    adapted = apply_lora(tiny("qwen2_vl", seed=0), lora_config(tiny("qwen2_vl", seed=0)))
    folder = adapted.save(tmp_path / "adapter")
    marker = json.loads((folder / "sf2t_base.json").read_text())
    assert marker["origin"] == "tiny:qwen2_vl (seed 0, init fan_in)" and marker["model_type"] == "qwen2_vl"
    assert load(base, adapter=folder).is_adapter  # the saved base folder, and the same tiny base rebuilt
    assert load(base, adapter=folder, dtype=torch.bfloat16).is_adapter  # the dtype is not the identity
    assert attach_adapter(tiny("qwen2_vl", seed=0), folder).is_adapter
    with pytest.raises(ValueError, match=r"trained on tiny:qwen2_vl \(seed 0.*base given is tiny:qwen2_vl \(seed 1"):
        attach_adapter(tiny("qwen2_vl", seed=1), folder)
    with pytest.raises(ValueError, match="adapter was trained on a 'qwen2_vl' model"):
        attach_adapter(tiny("llava_onevision"), folder)


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


ADAPTER_DAMAGES = {
    "missing folder": (lambda f: __import__("shutil").rmtree(f), FileNotFoundError, "no such adapter folder"),
    "no adapter_config.json": (lambda f: (f / "adapter_config.json").unlink(), FileNotFoundError, "adapter_config"),
    "non-UTF-8 config": (
        lambda f: (f / "adapter_config.json").write_bytes(b"{\xff}"),
        ValueError,
        r"adapter_config.json: unreadable adapter config",
    ),
    "no weights": (
        lambda f: (f / "adapter_model.safetensors").unlink(),
        FileNotFoundError,
        "adapter_model.safetensors is missing",
    ),
    "pickle weights only": (
        lambda f: (f / "adapter_model.safetensors").rename(f / "adapter_model.bin"),
        ValueError,
        r"only pickle weights \(adapter_model.bin\)",
    ),
    "truncated weights": (
        lambda f: _truncate(f / "adapter_model.safetensors"),
        ValueError,
        r"adapter_model.safetensors: unreadable weights",
    ),
    "unreadable identity": (
        lambda f: (f / "sf2t_base.json").write_text("{"),
        ValueError,
        r"sf2t_base.json: unreadable base identity",
    ),
}


@pytest.mark.parametrize("damage", list(ADAPTER_DAMAGES))
def test_a_damaged_adapter_folder_is_refused_naming_what_is_wrong(tmp_path, damage):
    qwen = tiny("qwen2_vl")
    base = qwen.save(tmp_path / "base")
    folder = apply_lora(qwen, lora_config(qwen)).save(tmp_path / "adapter")
    spoil, error, message = ADAPTER_DAMAGES[damage]
    spoil(folder)
    with pytest.raises(error, match=message) as info:
        load(base, adapter=folder)
    assert str(folder) in str(info.value)


def test_tiny_is_deterministic_given_the_seed():
    a, b, c = tiny("qwen2_vl", seed=3), tiny("qwen2_vl", seed=3), tiny("qwen2_vl", seed=4)
    assert a.tokenizer.get_vocab() == b.tokenizer.get_vocab()
    state_a, state_b, state_c = a.model.state_dict(), b.model.state_dict(), c.model.state_dict()
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    assert not all(torch.equal(state_a[k], state_c[k]) for k in state_a)


def test_impossible_tiny_sizes_are_refused_before_building():
    with pytest.raises(ValueError, match="tiny size num_layers must be an integer >= 1, got 0"):
        tiny("qwen2_vl", num_layers=0)


def test_mini_size_for_experiments():
    llm = tiny("llava_onevision", size="mini")
    assert 2_000_000 <= llm.num_parameters() <= 5_000_000
    assert llm.model.config.get_text_config().num_hidden_layers >= 4
    batch = llm.encode(clips(1), [PROMPT], ["A"])
    assert torch.isfinite(llm.loss(batch))
    with pytest.raises(ValueError, match="unknown tiny size fields"):
        tiny("qwen2_vl", hidden=3)


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_larger_frames_for_experiments(family):
    """112-pixel frames (the largest the CPU profile uses) give an odd 16-pixel patch grid, which
    LLaVA-NeXT-Video's pooling and InternVL's pixel shuffle cannot take: the builder adapts."""
    llm = tiny(family, image_size=112)
    frames = np.random.default_rng(0).integers(0, 256, (4, 112, 112, 3), dtype=np.uint8)
    batch = llm.encode([frames, frames], [PROMPT, PROMPT], ["A", "B"], numbered=[False, True])
    assert torch.isfinite(llm.loss(batch))
    assert frames_for(llm).image_size == 112


def test_fan_in_init_is_the_default_and_scales_weights_by_fan_in():
    """Small widths need N(0, 1/fan_in): HF's N(0, 0.02^2) left tiny models blind to the video."""
    from sf2t.models import tiny as make_tiny

    fan_in = make_tiny("qwen2_vl", seed=0)
    hf = make_tiny("qwen2_vl", seed=0, init="hf")
    name, layer = next((n, m) for n, m in fan_in.model.named_modules() if n.endswith("q_proj"))
    expected = layer.weight.shape[1] ** -0.5
    assert abs(float(layer.weight.std()) - expected) < 0.25 * expected
    assert abs(float(dict(hf.model.named_modules())[name].weight.std()) - 0.02) < 0.01
    again = make_tiny("qwen2_vl", seed=0)
    assert all(torch.equal(a, b) for a, b in zip(fan_in.model.parameters(), again.model.parameters(), strict=True))
    with pytest.raises(ValueError, match="unknown init"):
        make_tiny("qwen2_vl", init="xavier")
