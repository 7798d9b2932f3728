"""``python -m runtime.cli``: the ``asl`` command."""

import sys

from runtime.cli.entry import main

sys.exit(main())
