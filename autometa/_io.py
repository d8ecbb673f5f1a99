"""Reading tables from files: CSV, TSV and parquet, compressed or not.

Delimited text is checked before pandas parses it: every record must have as many fields
as the header (pandas would otherwise use the extra fields of a ragged file as the index
and shift the columns silently, or fill short rows with missing values). A ragged file is
a :class:`~autometa.DataError` naming the first bad line.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from autometa._exceptions import DataError

__all__ = ["read_table", "split_target", "TABLE_SUFFIXES"]

_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


_SNIFF_BYTES = 1 << 16


def _open_text(path: Path) -> io.TextIOBase | None:
    """A text stream of the (decompressed) file, or None for a compression we cannot open."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return io.TextIOWrapper(
            gzip.open(path, "rb"), encoding="utf-8", errors="replace", newline=""
        )
    if suffix == ".bz2":
        return io.TextIOWrapper(
            bz2.open(path, "rb"), encoding="utf-8", errors="replace", newline=""
        )
    if suffix == ".xz":
        return io.TextIOWrapper(
            lzma.open(path, "rb"), encoding="utf-8", errors="replace", newline=""
        )
    if suffix == ".zip":
        archive = zipfile.ZipFile(path)
        names = archive.namelist()
        if len(names) != 1:
            return None
        return io.TextIOWrapper(
            archive.open(names[0]), encoding="utf-8", errors="replace", newline=""
        )
    if suffix in _COMPRESSIONS:
        return None
    return open(path, encoding="utf-8", errors="replace", newline="")


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _records(stream: io.TextIOBase, delimiter: str) -> Iterator[tuple[int, int]]:
    """``(line number, number of fields)`` of each non-blank record."""
    reader = csv.reader(stream, delimiter=delimiter)
    for row in reader:
        if row and any(field.strip() for field in row):
            yield reader.line_num, len(row)


def _check_fields(path: Path, delimiter: str | None) -> str | None:
    """Raise DataError at the first record whose field count differs from the header's.
    Returns the delimiter found (None when the file could not be scanned)."""
    try:
        stream = _open_text(path)
    except (OSError, zipfile.BadZipFile, EOFError, lzma.LZMAError):
        return None  # pandas reports the unreadable file
    if stream is None:
        return None
    try:
        with stream:
            if delimiter is None:
                sample = stream.read(_SNIFF_BYTES)
                delimiter = _sniff_delimiter(sample)
                stream.seek(0)
            records = _records(stream, delimiter)
            header = next(records, None)
            if header is None:
                return delimiter
            n_fields = header[1]
            for line, n in records:
                if n != n_fields:
                    shown = "tab" if delimiter == "\t" else repr(delimiter)
                    raise DataError(
                        f"Cannot read '{path}': line {line} has {n} fields but the header "
                        f"(line {header[0]}) has {n_fields} (delimiter {shown}). Fix that line "
                        "(a stray delimiter, or an unquoted field holding the delimiter), so "
                        "that every row has one value per column."
                    )
    except (OSError, EOFError, lzma.LZMAError, csv.Error, UnicodeError):
        return None  # pandas reports the unreadable file
    return delimiter


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, TSV or parquet file (optionally compressed) into a DataFrame.

    Raises
    ------
    DataError
        If the file does not exist, has an unknown format, cannot be parsed or is empty.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"No such file: '{path}'. Check the path.")
    if path.is_dir():
        raise DataError(f"'{path}' is a directory; give a CSV, TSV or parquet file.")
    kind = _base_suffix(path)
    try:
        if kind in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif kind in (".tsv", ".tab"):
            _check_fields(path, "\t")
            frame = pd.read_csv(path, sep="\t")
        elif kind in (".csv", ".txt", ""):
            sep = _check_fields(path, None)
            if sep is None:
                # sep=None sniffs the delimiter (comma, semicolon, tab) with the python engine.
                frame = pd.read_csv(path, sep=None, engine="python")
            else:
                frame = pd.read_csv(path, sep=sep, engine="python", index_col=False)
        else:
            raise DataError(
                f"Cannot read '{path}': unknown format '{kind}'. "
                "Give a .csv, .tsv or .parquet file (optionally .gz, .bz2, .xz, .zip or .zst)."
            )
    except DataError:
        raise
    except Exception as exc:  # parser errors of pandas/pyarrow, decompression errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"Cannot read '{path}' as a {kind.lstrip('.') or 'csv'} table: {first}. "
            "Check that the file is a valid, uncorrupted table."
        ) from None
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(
            f"'{path}' holds no data ({frame.shape[0]} rows, {frame.shape[1]} columns). Give "
            "a file with a header row and at least one row of data."
        )
    return frame


def split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Split ``frame`` into features and the column ``target``, with a clear error."""
    if target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:10]))
        more = ", ..." if frame.shape[1] > 10 else ""
        raise DataError(
            f"Target column '{target}' not found. The columns are: {shown}{more}. "
            "Pass one of them as the target."
        )
    return frame.drop(columns=[target]), frame[target]
