"""sf2t: SF²T self-supervised fragment fine-tuning of Video-LLMs, and FineVidBench.

The package is laid out as the pipeline it is, each subpackage one stage, importing only the
stages below it (import-linter contracts in ``pyproject.toml``, run by ``nox -s lint``):

    common → video → world | tasks → bench → models → train | evaluate → experiment → cli

`common` (records, seeds, the stage cache, prompts and answer reading), `video` (decoding,
sampling, pixel edits), `world` (the procedural video world and its captions), `tasks` (the five
fragment tasks, never reading the world's truth), `bench` (FineVidBench: schema and loader;
`bench.build` makes FineVidBench-mini, `bench.export` writes harness formats), `models` (one
`VideoLLM` over the Hugging Face families, tiny random instances), `train` (one config, one loop,
accelerate), `evaluate` (letter, cloze and generation scoring, resumable runs, aggregates),
`experiment` (the paper's experiment as stages) and `report` (tables and figures from results
files only).
"""

__version__ = "0.1.0"
