"""Memory given back to the OS while a large frame is assembled: the process's peak, not only its end.

Measured on a million states (bench/bench_index.py): the frame is ~266 MiB of buffers, yet the
assembly peaked ~270 MiB above it (660 MiB, 130 of them held before the call). Not live data: memory
freed but kept by an allocator. Shard tables arrive as pickled buffers (glibc malloc); Arrow's default
pool (mimalloc or jemalloc) keeps what it frees for itself; numpy allocates through glibc again. Memory
freed by one allocator is not reused by another, so every stage added its own high-water mark. Two
remedies, both scoped to the assembly (now ~10 MiB above the frame and what came before it):

- Arrow allocates from the system allocator while it runs (`system_arrow_pool`): what Arrow frees
  (each column once converted), numpy can reuse, and large blocks go back to the OS at once.
- `trim_heap` hands the free pages back to the OS after a stage frees a lot: Arrow's pools (the one set
  aside too, which C++ code still allocates from) and glibc's heap (`malloc_trim(0)`, as Dask's workers
  do for their unmanaged memory).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pyarrow as pa


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (musl, macOS, Windows)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


_SET_ASIDE: list[pa.MemoryPool] = []  # pools that system_arrow_pool stands in for: C++ code may still use them


def _release(pool: pa.MemoryPool) -> None:
    """`pool.release_unused()`: pyarrow releases the *default* pool whatever pool it is called on, so the
    pool is made the default for the call."""
    current = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        pool.release_unused()
    finally:
        pa.set_memory_pool(current)


def trim_heap() -> None:
    """Give the free memory of Arrow's pools and of the C heap back to the OS (the latter with glibc only)."""
    for pool in [pa.default_memory_pool(), *_SET_ASIDE]:
        _release(pool)
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@contextmanager
def system_arrow_pool() -> Iterator[None]:
    """Arrow allocates from the system allocator within the block (each buffer keeps the pool it came
    from, so buffers outliving the block are freed correctly); the previous default pool is restored."""
    previous = pa.default_memory_pool()
    system = pa.system_memory_pool()
    if previous.backend_name == system.backend_name:
        yield
        return
    pa.set_memory_pool(system)
    _SET_ASIDE.append(previous)
    try:
        yield
    finally:
        _SET_ASIDE.remove(previous)
        pa.set_memory_pool(previous)
