"""What every test of the index asks: a store answering from it answers as a fresh scan does."""

from __future__ import annotations

from pandas.testing import assert_frame_equal

from zxforensics.store.backup import BackupStore


def assert_same(indexed: BackupStore, path, accounts=None) -> None:
    """Every table a store answers from the index equals the in-memory scan of a store without one."""
    memory = BackupStore(path, tz=indexed.tz)
    assert_frame_equal(indexed.item_states(accounts), memory.item_states(accounts))
    assert_frame_equal(indexed.items("last", accounts), memory.items("last", accounts))
    assert_frame_equal(indexed.accounts(extra=True), memory.accounts(extra=True))
    if accounts is None:
        assert_frame_equal(indexed.blobs(), memory.blobs())
        # the per-account counts the index keeps (summary, holdings) equal the frames' over every state
        assert_frame_equal(indexed.newest_state_counts(), memory.newest_state_counts())
        assert indexed.state_count() == memory.state_count() == len(memory.item_states())
    assert_frame_equal(indexed.errors, memory.errors)
