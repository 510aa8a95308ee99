"""sf2t: SF²T self-supervised fragment fine-tuning of Video-LLMs, and FineVidBench.

The package is layered (see ``pyproject.toml``, import-linter contracts): decoding
(`sf2t.video`) knows nothing of tasks or models; fragment tasks (`sf2t.tasks`) never
read synthetic ground truth; reports (`sf2t.report`) read results files only.
"""

__version__ = "0.1.0"
