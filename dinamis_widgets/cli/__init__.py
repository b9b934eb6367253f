"""The ``dinamis-widgets`` command: ``twin``, ``scenes``, ``sign``, ``lab``."""
