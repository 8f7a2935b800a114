"""Hypothesis strategies shared by the property tests of the parsers: JSON values with the extremes
that broke the kit (integers past int64, dates past pandas' range, deep nesting)."""

from __future__ import annotations

from hypothesis import strategies as st

# Values that overflowed a column, a date or a repr somewhere before.
EXTREMES = [2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**70, 10**17, 1e23, 1e300, -1e300, 0, 1.5, "", "1e23",
            "99999999999999999999", "2013-07-12T14:35:44Z", "12/07/2013 14:35:44", "9999-12-31", "٣", True, None]


def json_values(max_leaves: int = 8, text: int = 12, extremes: list | None = None) -> st.SearchStrategy:
    """Any JSON value (no NaN or infinity: orjson refuses them before any parser sees them)."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.text(max_size=text),
                        st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(extremes or EXTREMES))
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=max_leaves,
    )
