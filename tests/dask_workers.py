"""Faults planted in the workers of a Dask cluster (a monkeypatch does not cross processes)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

# Lambdas, so that cloudpickle sends them by value: the workers need not import this test module.
_SWAP = lambda module, name, value: vars(importlib.import_module(module)).update(  # noqa: E731
    {f"_zx_saved_{name}": getattr(importlib.import_module(module), name), name: value})
_RESTORE = lambda module, name: vars(importlib.import_module(module)).update(  # noqa: E731
    {name: vars(importlib.import_module(module)).pop(f"_zx_saved_{name}")})
_RAISE = lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("the disk went away"))  # noqa: E731


@contextmanager
def failing_on_workers(client, module: str, name: str) -> Iterator[None]:
    """Within the block, `module.name` raises RuntimeError("the disk went away") in every worker (a task
    sends a module-level function by reference: the worker looks it up, and finds the fault)."""
    client.run(_SWAP, module, name, _RAISE)
    try:
        yield
    finally:
        client.run(_RESTORE, module, name)
