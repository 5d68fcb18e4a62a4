"""The errors the wrapper raises, one class per exit code of the `miauth` program.

Every message and hint comes from miauth itself (its `error` event, or its last stderr line),
which never prints the token; the wrapper adds messages only for what happens around the
program (not found, its own deadline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._credentials import Credentials


class MiAuthError(Exception):
    """miauth failed.

    Attributes:
        code: miauth's exit code (`None` when it did not end by itself, as with
            `MiAuthTimeout`; 127 when it could not be found, 126 when it could not be run).
        kind: a short name for the failure, from miauth's `error` event (such as
            `"not_logged_in"`, `"deadline"`, `"invalid_instance"`).
        message: what failed, with which input.
        hint: what to do next, or `None`.
        credentials: the token, when it arrived but could not be kept (`save=True` with a
            keyring that refused it), so that it is not lost; otherwise `None`.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None,
        kind: str,
        hint: str | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind
        self.hint = hint
        self.credentials = credentials

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}; {self.hint}"
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, kind={self.kind!r}, "
            f"message={self.message!r}, hint={self.hint!r})"
        )


class MiAuthNotFound(MiAuthError, FileNotFoundError):
    """The `miauth` program was found nowhere (code 127, as shells say)."""


class UsageError(MiAuthError, ValueError):
    """Exit 2: a usage error or invalid input (instance, permission, name, timeout)."""


class NotApproved(MiAuthError, TimeoutError):
    """Exit 3: the login was not approved before the deadline (a denial looks the same)."""


class InstanceError(MiAuthError):
    """Exit 4: the instance cannot be reached, does not offer MiAuth, or answered wrongly."""


class LocalError(MiAuthError):
    """Exit 5: something on this machine failed (the port, the keyring, the kept tokens).

    When the token arrived but could not be kept, `.credentials` holds it.
    """


class NotLoggedIn(MiAuthError):
    """Exit 6: nothing is kept for that instance or account, or its token was revoked."""


class MiAuthTimeout(MiAuthError, TimeoutError):
    """The wrapper's own deadline passed: miauth was interrupted (as Ctrl-C would), then
    stopped."""


BY_CODE: dict[int, type[MiAuthError]] = {
    2: UsageError,
    3: NotApproved,
    4: InstanceError,
    5: LocalError,
    6: NotLoggedIn,
}
