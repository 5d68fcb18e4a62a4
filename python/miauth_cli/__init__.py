"""Get a Misskey access token from Python, through the `miauth` program this package installs.

`miauth_cli` runs `miauth` and reads its JSON (`miauth login --events`, `miauth token`,
`miauth logout --format json`, `miauth revoke --format json`): the login, the keyring or file
where tokens are kept, revocation and deadlines behave exactly as the command does. Nothing
here reimplements a step or reads the kept tokens itself.

    from misskey import Misskey
    from miauth_cli import get_token

    mk = Misskey("misskey.io", i=get_token("misskey.io"))

`login()` logs in in the browser and returns `Credentials`; `get_token()` and `environ()` hand
out a kept token; `logout()` revokes a kept token on its instance where the instance allows it
(Misskey 2026.9.0 and later) and forgets it here, and `revoke()` revokes a token that is not
kept: both return a `Revocation` saying what the instance did. `alogin()`, `aget_token()`,
`alogout()` and `arevoke()` do the same for asyncio. Failures raise `MiAuthError` subclasses
chosen by miauth's exit code; no message, `repr` or traceback holds the token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._binary import find_miauth_bin
from ._credentials import Credentials, User
from ._errors import (
    InstanceError,
    LocalError,
    MiAuthError,
    MiAuthNotFound,
    MiAuthTimeout,
    NotApproved,
    NotLoggedIn,
    UsageError,
)
from ._results import Event
from ._revocation import Revocation
from ._sync import environ, get_token, login, logout, revoke

if TYPE_CHECKING:
    from ._async import aget_token, alogin, alogout, arevoke


def __getattr__(name: str) -> Any:
    # asyncio takes longer to import than the rest of this package together: it is imported
    # when the asyncio API is first used, not by every program that only calls get_token().
    if name in ("alogin", "aget_token", "alogout", "arevoke"):
        from . import _async

        return getattr(_async, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Credentials",
    "Event",
    "InstanceError",
    "LocalError",
    "MiAuthError",
    "MiAuthNotFound",
    "MiAuthTimeout",
    "NotApproved",
    "NotLoggedIn",
    "Revocation",
    "UsageError",
    "User",
    "aget_token",
    "alogin",
    "alogout",
    "arevoke",
    "environ",
    "find_miauth_bin",
    "get_token",
    "login",
    "logout",
    "revoke",
]
