"""``python -m omicsnet`` is the same as the ``omicsnet`` command."""

import sys

from omicsnet.cli import main

sys.exit(main())
