"""Sign-in prompts: whether a person can see a sign-in link here, and how the link is shown.

The device flow (:mod:`.device_flow`) shows a link through a pluggable handler
(:func:`set_sign_in_handler`; by default :func:`print_sign_in`: a message on standard error, or a
clickable link in a Jupyter notebook) and waits for its approval. It never starts where no one can see the
link (:func:`can_prompt`): inside a dask worker, when ``CI`` is set, without a terminal outside Jupyter,
or with ``interactive=False`` (``DINAMIS_INTERACTIVE=0``). There, an
:class:`~dinamis_widgets.errors.AuthenticationError` says how to authenticate instead
(:func:`how_to_authenticate`).

Examples
--------
>>> can_prompt(interactive=False)[0]
False
>>> code = DeviceCode("https://id.example.org/device", "https://id.example.org/device?user_code=AB-CD",
...                   "AB-CD", expires_in=600, interval=5, device_code="secret")
>>> print(code.message())
To sign in to the DINAMIS signing service, open this link in a browser and approve:
    https://id.example.org/device?user_code=AB-CD
(or open https://id.example.org/device and enter the code AB-CD). The link expires in 10 min. Waiting...
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..settings import Settings, get_settings

__all__ = ["DeviceCode", "SignInHandler", "can_prompt", "current_sign_in_handler", "how_to_authenticate",
           "print_sign_in", "set_sign_in_handler"]


def _in_dask_worker() -> bool:
    if "distributed" not in sys.modules:
        return False
    try:
        from distributed import get_worker

        get_worker()
    except Exception:
        return False
    return True


def _in_jupyter_kernel() -> bool:
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:
        return False
    return shell is not None and hasattr(shell, "kernel")


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def can_prompt(settings: Settings | None = None, *, interactive: bool | None = None) -> tuple[bool, str]:
    """Whether a person can see a sign-in link here, and why (or why not).

    Parameters
    ----------
    settings
        For ``interactive`` (``DINAMIS_INTERACTIVE``); :func:`get_settings` by default.
    interactive
        Overrides the settings: True allows it anywhere but in a dask worker, False forbids it.

    Returns
    -------
    (bool, str)
        The answer and its reason, for messages.

    Examples
    --------
    >>> can_prompt(interactive=False)
    (False, 'interactive=False was asked (setting interactive, DINAMIS_INTERACTIVE=0)')
    """
    if _in_dask_worker():
        return False, "this code runs inside a dask worker, where no one can see a sign-in link"
    flag = interactive if interactive is not None else (settings or get_settings()).interactive
    if flag is True:
        return True, "interactive=True was asked"
    if flag is False:
        return False, "interactive=False was asked (setting interactive, DINAMIS_INTERACTIVE=0)"
    ci = os.environ.get("CI", "").strip()
    if ci and ci.lower() not in ("0", "false", "no"):
        return False, f"the CI environment variable is set (CI={ci!r})"
    if _in_jupyter_kernel():
        return True, "a Jupyter kernel"
    if _isatty(sys.stderr) or _isatty(sys.stdout):
        return True, "a terminal"
    return False, "there is no terminal and this is not a Jupyter kernel"


def how_to_authenticate(signing_endpoint: str | None, config_dir: Path | None = None) -> str:
    """The advice given when credentials are missing or refused."""
    folder = config_dir or get_settings().config_dir
    where = f" for {signing_endpoint}" if signing_endpoint else ""
    return (
        f"To authenticate{where}: (1) set TLD_ACCESS_KEY and TLD_SECRET_KEY to an API key; or "
        f"(2) store one in {folder / '.apikey'}: sign in once where you can open a link (a notebook "
        "or a terminal) with dinamis_widgets.login(), then run "
        "dinamis_widgets.signing.account.create_api_key(save=True) (or `tld apikey register` with the "
        f"official CLI); or (3) sign in with dinamis_widgets.login(): the token saved in {folder / '.jwt'} "
        "is then used, and refreshed, by every process that reads that folder."
    )


# --------------------------------------------------------------------------------------------------
# Showing the sign-in link
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCode:
    """What to show a person so they approve a sign-in (RFC 8628).

    Attributes
    ----------
    verification_uri_complete
        The link to open (carries the code).
    verification_uri, user_code
        The page and the code to type there, for those who cannot click.
    expires_in, interval
        Seconds the link stays valid, and between two polls.
    """

    verification_uri: str
    verification_uri_complete: str
    user_code: str
    expires_in: int
    interval: int
    device_code: str = field(repr=False)

    @property
    def link(self) -> str:
        """The link to open."""
        return self.verification_uri_complete or self.verification_uri

    def message(self) -> str:
        """Plain text for a terminal."""
        minutes = max(1, round(self.expires_in / 60))
        return (
            "To sign in to the DINAMIS signing service, open this link in a browser and approve:\n"
            f"    {self.link}\n"
            f"(or open {self.verification_uri} and enter the code {self.user_code}). "
            f"The link expires in {minutes} min. Waiting..."
        )

    def _repr_html_(self) -> str:
        link = html.escape(self.link, quote=True)
        return (
            "<div><b>Sign in to the DINAMIS signing service</b>: "
            f"<a href=\"{link}\" target=\"_blank\" rel=\"noopener\">open this link and approve</a> "
            f"(code <code>{html.escape(self.user_code)}</code>, valid "
            f"{max(1, round(self.expires_in / 60))} min).</div>"
        )


SignInHandler = Callable[[DeviceCode], None]


def print_sign_in(code: DeviceCode) -> None:
    """Default handler: a clickable link in a Jupyter notebook, else a message on standard error."""
    if _in_jupyter_kernel():
        try:
            from IPython.display import HTML, display

            display(HTML(code._repr_html_()))
            return
        except Exception:  # pragma: no cover - IPython without display
            pass
    print(code.message(), file=sys.stderr, flush=True)


_sign_in_handler: SignInHandler | None = None


def set_sign_in_handler(handler: SignInHandler | None) -> SignInHandler | None:
    """Choose how sign-in links are shown (the notebook UI passes its own); None restores the default.

    Returns
    -------
    callable or None
        The previous handler.
    """
    global _sign_in_handler
    previous, _sign_in_handler = _sign_in_handler, handler
    return previous


def current_sign_in_handler() -> SignInHandler:
    """The handler that shows sign-in links now: :func:`set_sign_in_handler`'s, else :func:`print_sign_in`."""
    return _sign_in_handler or print_sign_in
