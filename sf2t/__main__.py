"""``python -m sf2t``: the ``sf2t`` command, for environments where its script is not on PATH."""

from sf2t.cli import main

raise SystemExit(main())
