"""``python -m dinamis_widgets.twin.scenes``: generate a scene set and print its folder."""

from .generation import main

raise SystemExit(main())
