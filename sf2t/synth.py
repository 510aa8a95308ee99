"""Former name of `sf2t.world`, kept so ``from sf2t import synth`` and ``sf2t.synth.X`` keep
working; new code imports `sf2t.world`."""

from sf2t.world import *  # noqa: F403
from sf2t.world import __all__  # noqa: F401
