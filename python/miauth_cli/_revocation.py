"""What became of a token at its instance, as `miauth logout` and `miauth revoke` report it.

A leaf of the package, like `_credentials`: it imports nothing of the rest. It holds no token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: The values of `revoked`: `"yes"` (the instance deleted the token), `"already"` (it knew the
#: token no more), `"unsupported"` (it does not let an app revoke its own token: Misskey before
#: 2026.9.0 and the forks), `"unreachable"` (it could not be asked, or its answer said nothing
#: of the token), `"not_asked"` (`logout(local=True)`, or a kept token that could not be read).
Revoked = Literal["yes", "already", "unsupported", "unreachable", "not_asked"]

_OUTCOMES = ("yes", "already", "unsupported", "unreachable", "not_asked")


@dataclass(frozen=True)
class Revocation:
    """What `logout()` and `revoke()` did: whether the token ended on its instance, and
    whether the account was forgotten here."""

    #: The instance's origin, such as `https://misskey.io`.
    instance: str
    #: The account forgotten (or kept) here, `@alice@misskey.io`; `None` for `revoke()`.
    account: str | None
    #: Whether the account was forgotten here (always `False` for `revoke()`).
    forgotten: bool
    #: What the instance did with the token (see `Revoked`).
    revoked: Revoked
    #: Where the person deletes the app by hand (`INSTANCE/settings/apps`) when the token may
    #: still work (`unsupported`, `unreachable`, `not_asked`); otherwise `None`.
    settings_url: str | None = None
    #: For `unsupported` and `unreachable`: the instance's answer, or the failure.
    detail: str | None = None

    @property
    def token_ended(self) -> bool:
        """Whether the token is known to work no more (`revoked` is `"yes"` or `"already"`)."""
        return self.revoked in ("yes", "already")

    @classmethod
    def from_json(cls, value: Any) -> Revocation | None:
        """Read miauth's `--format json` object; `None` for anything else."""
        if not isinstance(value, dict) or value.get("revoked") not in _OUTCOMES:
            return None
        account = value.get("account")
        settings_url = value.get("settings_url")
        detail = value.get("detail")
        return cls(
            instance=str(value.get("instance", "")),
            account=None if account is None else str(account),
            forgotten=value.get("forgotten") is True,
            revoked=value["revoked"],
            settings_url=None if settings_url is None else str(settings_url),
            detail=None if detail is None else str(detail),
        )
