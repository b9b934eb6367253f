"""``python -m dinamis_widgets`` runs the command line."""

import sys

from .cli.commands import main

sys.exit(main())
