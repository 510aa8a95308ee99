"""Small helpers every stage shares: JSONL records and data-root paths, seeds and RNG state,
the stage cache, how questions are written and how answers are read back, one writer per output
(`locks`), and the command line's argument types and one-line errors (`cli_args`). They import
nothing else of sf2t."""
