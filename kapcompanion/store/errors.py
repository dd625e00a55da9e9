"""The vault's error taxonomy.

Errors the environment causes (a wrong passphrase, a damaged or foreign file, a full disk, a vault
written by a newer app) are ``VaultError`` subclasses with a message fit to show a therapist as is.
Anything else escaping the store is a bug and is treated as one.
"""

from __future__ import annotations


class VaultError(Exception):
    """Base of every error the store reports to the user in plain words."""

    #: the command-line exit code for this kind of error
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PassphraseTooWeak(VaultError):
    pass


class VaultExists(VaultError):
    pass


class VaultNotFound(VaultError):
    exit_code = 2


class WrongPassphraseOrDamaged(VaultError):
    """SQLCipher cannot tell a wrong key from a damaged first page: both end here."""

    exit_code = 2

    def __init__(self, message: str = "Wrong passphrase or damaged vault file.") -> None:
        super().__init__(message)


class VaultTooNew(VaultError):
    exit_code = 2


class VaultDamaged(VaultError):
    """The key was right but the file is damaged (found by a read or an integrity check)."""

    exit_code = 3


class DiskFull(VaultError):
    pass


class NoWriteAccess(VaultError):
    """Read-only media or missing permissions: the vault's folder or file cannot be written."""


class VaultInUse(VaultError):
    """Another process holds the vault's writer lock (``store.lock``)."""

    exit_code = 4

    def __init__(self, message: str, holder: object | None = None) -> None:
        super().__init__(message)
        #: a ``store.lock.Holder`` (process, computer, since when), when the lock file says
        self.holder = holder


class VaultReadOnly(VaultError):
    """The vault was opened read-only; this change needs it opened for writing."""


class VaultClosed(VaultError):
    pass


class RecordLocked(VaultError):
    """A signed record cannot change; only addenda can be added."""


class RecordNotFound(VaultError):
    pass
