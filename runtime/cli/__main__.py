"""``python -m runtime.cli``: the ``asl`` command."""

import sys

from runtime.cli.main import main

sys.exit(main())
