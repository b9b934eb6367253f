"""Real-browser tests: JupyterLab on 127.0.0.1 driven by Playwright and Debian's Chromium, offline.

* :mod:`tests.browser.jupyter` starts and stops a JupyterLab server (random port and token, throwaway
  root, config, data and runtime folders; no news, update check or PyPI extension manager) and records any
  non-loopback connection its server or kernels attempt.
* :mod:`tests.browser.browser` launches ``/usr/bin/chromium`` headless with a fresh profile, aborts and
  records every non-loopback request of the page, and drives notebooks (run all cells, screenshots).
* ``conftest.py`` holds the session fixtures (one JupyterLab, one browser) and the per-test page.
"""
