"""getAllOperations output (FORMAT.md §8): the saved sample outputs, verbose or not, and variants."""

from __future__ import annotations

import pandas as pd
import pytest

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
