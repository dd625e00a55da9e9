"""Test-only: child processes of the test suite derive vault keys with few KDF iterations.

The suite opens well over a thousand vaults; at SQLCipher's 256,000 PBKDF2 iterations that is
about 0.13 s of CPU each, half the suite's time. Tests put this folder on ``PYTHONPATH`` of the
processes they start (``support.child_env``) and name the count in ``KAPC_TEST_KDF_ITER``;
when ``sqlcipher3`` is first imported, ``PRAGMA cipher_default_kdf_iter`` lowers the default for
every connection of that process. Nothing is imported early (the start-up test counts modules),
and the product is unchanged: the app, the CLI and the PyInstaller build never see this file,
and ``tests/store/test_kdf.py`` checks that a vault made by the real entry point needs the full
count.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from types import ModuleType
from typing import Any

_ITER = os.environ.get("KAPC_TEST_KDF_ITER", "")


class _LowerKdfOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "sqlcipher3.dbapi2":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader: Any = spec.loader
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            conn = module.connect(":memory:")
            conn.execute(f"PRAGMA cipher_default_kdf_iter = {int(_ITER)}")
            conn.close()

        loader.exec_module = exec_module
        return spec


if _ITER:
    sys.meta_path.insert(0, _LowerKdfOnImport())
