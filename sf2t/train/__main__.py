"""``python -m sf2t.train --config FILE`` (and ``accelerate launch -m sf2t.train ...``)."""

from sf2t.train.cli import main

raise SystemExit(main())
