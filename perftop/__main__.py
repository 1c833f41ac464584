"""``python -m perftop``: the ``perftop`` command."""

import sys

from perftop.tui.cli import main

sys.exit(main())
