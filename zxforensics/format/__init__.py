"""What we know of the vendor's on-disk format (FORMAT.md in code).

Every `[ours]` choice of FORMAT.md lives in this package, so a real backup that spells
things differently is handled by changing one adapter, not the readers.
"""
