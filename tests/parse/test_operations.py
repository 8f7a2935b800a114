"""getAllOperations output (FORMAT.md §8): the saved sample outputs, verbose or not, and variants."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zxforensics as zx
from zxforensics.parse import ParseError
from zxforensics.parse.operations import OPERATION_COLUMNS
from zxforensics.sample.audit_cases import OPERATIONS


@pytest.fixture(scope="module")
def folder(sample_path):
    return sample_path.parent / "operations"


def test_the_saved_output(folder):
    df = zx.read_operations((folder / "getAllOperations.txt").read_text(), tz="Europe/Paris")
    assert list(df.columns) == OPERATION_COLUMNS
    assert df[["id", "operation", "status", "host", "author"]].values.tolist() == [
        [op["id"], op["operation"], op["status"], op["host"], op["author"]] for op in OPERATIONS]
    # dd/MM/yyyy in the server's zone (CET, UTC+1): 27/02/2014 18:12:40 -> 17:12:40 UTC
    assert df["submitted"].tolist() == [pd.Timestamp("2014-02-28 03:00:00", tz="UTC"),
                                        pd.Timestamp("2014-02-27 17:12:40", tz="UTC"),
                                        pd.Timestamp("2014-02-28 03:02:13", tz="UTC")]  # fmt: skip
    assert df["started"].iloc[0] == pd.Timestamp("2014-02-28 03:00:01", tz="UTC") and df["started"][1:].isna().all()
    assert (df["status"] == "QUEUED").sum() == 2


def test_the_verbose_output_adds_columns(folder):
    df = zx.read_operations((folder / "getAllOperations_verbose.txt").read_bytes(), tz="Europe/Paris")
    assert list(df.columns) == [*OPERATION_COLUMNS, "description", "progress", "accounts"]
    assert df["progress"].tolist() == ["42%", "0%", "0%"]
    assert df["description"].iloc[1] == "Import from /mnt/import"
    plain = zx.read_operations((folder / "getAllOperations.txt").read_text(), tz="Europe/Paris")
    assert df[OPERATION_COLUMNS].equals(plain)


def test_tabs_blank_lines_sections_and_utc():
    text = ("zimbra@mail:~$ zxsuite backup getAllOperations verbose true\n\toperations\n\n"
            "\t\tid\tA\n\t\tstatus\tRUNNING\n\t\tparameters\n\t\t\tdestination\t/mnt/x\n"
            "\t\tsubmitDate\t03/02/2014 10:00:00\n\n\t\tid\tB\n\t\tstatus\tQUEUED\n")  # fmt: skip
    df = zx.read_operations(text)
    assert df["id"].tolist() == ["A", "B"] and df["status"].tolist() == ["RUNNING", "QUEUED"]
    assert df["parameters.destination"].tolist()[0] == "/mnt/x"
    assert df["submitted"].iloc[0] == pd.Timestamp("2014-02-03 10:00:00", tz="UTC")  # 3 February: day first


def test_an_empty_queue_and_no_queue():
    assert zx.read_operations("        operations\n").empty
    assert list(zx.read_operations("operations").columns) == OPERATION_COLUMNS
    with pytest.raises(ParseError, match="no `operations` list"):
        zx.read_operations("Operation Completed\n- stats -\n")
    with pytest.raises(ParseError, match="operation X submitDate: bad date"):
        zx.read_operations("operations\n  id  X\n  submitDate  13/13/2014 10:00:00\n")


@pytest.mark.parametrize("line", ["\x1cid 5", "  \x1cid 5", "\x00", "  id\x85 5", "\x1b[2Jid 5", "  \u2028"])
def test_a_saved_get_all_operations_line_starting_with_a_control_character(line):
    """A TypeError before: the line pattern did not match; now lines are split, whatever they start with."""
    df = zx.read_operations(f"operations\n  id 1\n  status RUNNING\n{line}\n  id 2\n")
    assert df["id"].iloc[0] == "1" and list(df.columns[:7]) == OPERATION_COLUMNS


def test_a_date_outside_the_kits_range_is_a_parse_error():
    with pytest.raises(ParseError, match="out of the range of dates the kit keeps"):
        zx.read_operations("operations\n  id 1\n  submitDate 01/01/0001 00:00:00\n")


LINES = st.sampled_from(["operations", "  id 1", "\tid 2", "  operation Backup", "  submitDate 28/02/2014 04:00:00",
                         "  startDate 31/02/2014 04:00:00", "  verbose", "    progress 42%", "", "\x1c", "  \x00x y"])


@settings(max_examples=150, deadline=2000)
@given(lines=st.lists(LINES | st.text(max_size=25), max_size=20))
def test_property_operations_text_gives_a_frame_or_a_parse_error(lines):
    try:
        df = zx.read_operations("\n".join(lines))
    except ParseError as exc:
        assert exc.kind == "invalid_metadata"
        return
    assert list(df.columns[:7]) == OPERATION_COLUMNS
    assert str(df["submitted"].dtype).startswith("datetime64") and str(df["submitted"].dt.tz) == "UTC"
