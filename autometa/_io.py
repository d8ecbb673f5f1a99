"""Reading tables from files: CSV, TSV and parquet, compressed or not."""

from __future__ import annotations

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
            frame = pd.read_csv(path, sep="\t")
        elif kind in (".csv", ".txt", ""):
            # sep=None sniffs the delimiter (comma, semicolon, tab) with the python engine.
            frame = pd.read_csv(path, sep=None, engine="python")
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
            f"'{path}' holds no data ({frame.shape[0]} rows, {frame.shape[1]} columns)."
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
