"""The credentials a login hands over: the token, the account and the instance.

A leaf of the package: it imports nothing of the rest, so that the errors (which may carry
credentials) and the results can both use it.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class User:
    """The account a token belongs to."""

    id: str
    username: str
    #: The account's host, or `None` for an account of the instance itself.
    host: str | None
    #: The display name, if the account has one.
    name: str | None

    @property
    def handle(self) -> str:
        """`@username@host`, or `@username` for an account of the instance itself."""
        return f"@{self.username}@{self.host}" if self.host else f"@{self.username}"


@dataclass(frozen=True)
class Credentials:
    """A token and what it is for. Its `repr` never shows the token: read `.token`."""

    token: str = field(repr=False)
    #: The instance's base URL, such as `https://misskey.io`.
    instance: str
    user: User
    #: The permissions asked for.
    permissions: tuple[str, ...]

    @property
    def handle(self) -> str:
        """The account as `@username@host`, as miauth names it (`@alice@misskey.io`)."""
        host = self.user.host or urllib.parse.urlsplit(self.instance).netloc
        return f"@{self.user.username}@{host}"

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Credentials:
        """Read the object of a `success` event (or of an `error` event's `result`)."""
        user = event.get("user") or {}
        return cls(
            token=str(event.get("token", "")),
            instance=str(event.get("instance", "")),
            user=User(
                id=str(user.get("id", "")),
                username=str(user.get("username", "")),
                host=user.get("host"),
                name=user.get("name"),
            ),
            permissions=tuple(event.get("permissions") or ()),
        )
