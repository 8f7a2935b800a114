"""Memory handed back during a frame's assembly: the allocator swap is scoped, and what it allocated lives on."""

from __future__ import annotations

import pyarrow as pa

from zxforensics.runtime.memory import system_arrow_pool, trim_heap


def test_system_pool_is_scoped_and_its_buffers_outlive_it():
    before = pa.default_memory_pool().backend_name
    with system_arrow_pool():
        assert pa.default_memory_pool().backend_name == pa.system_memory_pool().backend_name
        made = pa.array(range(100_000)).cast(pa.string())
    assert pa.default_memory_pool().backend_name == before
    trim_heap()  # the freed pages go back; live buffers are untouched
    assert made[99_999].as_py() == "99999" and len(made) == 100_000


def test_the_pool_comes_back_after_an_error():
    before = pa.default_memory_pool().backend_name
    try:
        with system_arrow_pool():
            raise ValueError("scan failed")
    except ValueError:
        pass
    assert pa.default_memory_pool().backend_name == before


def test_trimming_inside_the_block_keeps_the_system_pool():
    """trim_heap releases the pool set aside too (pyarrow releases the default pool only): the block's
    pool is the system one again after it."""
    with system_arrow_pool():
        trim_heap()
        assert pa.default_memory_pool().backend_name == pa.system_memory_pool().backend_name
