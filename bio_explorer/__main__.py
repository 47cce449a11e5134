"""``python -m bio_explorer`` runs the ``bio-explorer`` command line."""

import sys

from .cli import main

sys.exit(main())
