"""Search as you type filters the clients the model holds: the same rows, in the same order, as
the vault's own search for every text typed, without reading the vault per keystroke."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kapcompanion.core.models import Client, ClientStatus
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.models.client_table import SORT_NEXT_SESSION, ClientQuery, ClientTableModel

NAMES = [
    ("Mara Quinn", "Heron", ["treatment_resistant_depression"]),
    ("Marek Quist", "", ["ptsd"]),
    ("Zoë Ångström", "Birch", ["depression"]),
    ("Ängel Maraña", "Quince", ["anxiety"]),
    ("Kenji Watanabe", "Cedar", ["ptsd"]),
    ("50% Done_Ok", "Under_score", []),
]


def _people() -> list[Client]:
    out = [Client(name=n, pseudonym=p, indications=list(i)) for n, p, i in NAMES]
    out.append(Client(name="Mara Archived", indications=["anxiety"], status=ClientStatus.ARCHIVED))
    return out


class _Counting:
    """The vault's connection, counting the statements run through it."""

    def __init__(self, conn: Any) -> None:
        self._conn, self.count = conn, 0

    def execute(self, *args: Any) -> Any:
        self.count += 1
        return self._conn.execute(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def test_typing_matches_the_vaults_search_without_reading_it(
    open_vault: Callable[..., Vault],
) -> None:
    vault = open_vault(_people())
    repos = Repos(vault)
    try:
        model = ClientTableModel(repos)
        model.refresh()
        typed = [
            "m", "ma", "mar", "mara", "mara ", "mara q", "mara qu", "mara q",  # typing, backspace
            "ma", "", "ANG", "ang", "ängel", "ptsd", "p t", "q", "xyz", "50%", "_", "done_",
            "heron depr", "resistant",
        ]  # fmt: skip
        counting = _Counting(vault._conn)
        vault._conn = counting
        for archived in (False, True):
            for sort in ("name", SORT_NEXT_SESSION):
                model.set_query(ClientQuery(include_archived=archived, sort=sort))  # reads once
                reads = counting.count
                for text in typed:
                    model.set_query(ClientQuery(text=text, include_archived=archived, sort=sort))
                    shown = [model.client_at(r).id for r in range(model.rowCount())]
                    vault._conn = counting._conn  # the reference search is not counted
                    expected = [
                        c.id
                        for c in repos.clients.search(text, include_archived=archived, sort=sort)
                    ]
                    vault._conn = counting
                    assert shown == expected, (text, archived, sort)
                assert counting.count == reads  # no statement ran while typing
    finally:
        vault._conn = getattr(vault._conn, "_conn", vault._conn)
