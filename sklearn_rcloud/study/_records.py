"""Records on disk: one CSV reader, one writer and one cache for every study.

A study's records are rows of a CSV file, appended as they finish so that an
interrupted study resumes where it stopped. :class:`RecordsCache` is how
every study (the main comparison and each experiment) finds the records it
already has: by each record's identity, among the records that belong to
the study's present configuration.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import hashlib
import json
import math
from pathlib import Path

__all__ = [
    "CachedStudyConfig",
    "RecordsCache",
    "append_records",
    "read_csv_records",
]


class CachedStudyConfig:
    """Base of the experiments' configurations (frozen dataclasses).

    A hash of every field keys the experiment's cache: records made under
    another configuration are never reused.
    """

    @property
    def key(self):
        """A short hash of the configuration: cached records must match it."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True, default=list)
        return hashlib.sha1(text.encode()).hexdigest()[:12]


class RecordsCache:
    """The records of one CSV file by identity; new records are appended to it.

    Parameters
    ----------
    path : path or None
        The CSV file; None caches nothing and writes nothing.
    read : callable
        ``read(path) -> list of dict``, the study's reader (see
        :func:`read_csv_records`).
    identity : callable
        ``identity(record)`` is what makes a record the same run as another
        (e.g. dataset, fold and variant).
    belongs : callable or None, default=None
        ``belongs(record)``: whether a record on file was made under the
        study's present configuration; the others are ignored. None keeps
        every record.
    fields : sequence of str or None, default=None
        The columns of a new file; None takes the first record's keys.
    """

    def __init__(self, path, read, identity, belongs=None, fields=None):
        self.path = None if path is None else Path(path)
        self.identity = identity
        self.fields = fields
        self.records = {}
        if self.path is not None and self.path.exists():
            for record in read(self.path):
                if belongs is None or belongs(record):
                    self.records[identity(record)] = record

    def __contains__(self, key):
        return key in self.records

    def __getitem__(self, key):
        return self.records[key]

    def __len__(self):
        return len(self.records)

    def get(self, key, default=None):
        return self.records.get(key, default)

    def add(self, record):
        """Keep ``record`` and append it to the file."""
        self.records[self.identity(record)] = record
        if self.path is not None:
            append_records(self.path, [record], self.fields)


def append_records(path, records, fields=None):
    """Append records to a CSV under its header, writing one if the file is new.

    Parameters
    ----------
    path : path
    records : list of dict
    fields : sequence of str or None, default=None
        The header of a new file; None takes the records' keys.

    Raises
    ------
    ValueError
        When a record has a value in a column the file's header lacks (a
        file written by an older version): appending would shift its
        columns. Columns the header lacks and every record leaves empty
        (NaN or ``""``, e.g. a regression score of a classification run)
        are left out, as a reader reads them back from the file anyway.
    """
    path = Path(path)
    if path.exists() and path.stat().st_size:
        with open(path, newline="") as handle:
            header = next(csv.reader(handle))
        extra = {key for record in records for key in record} - set(header)
        empty = {key for key in extra if all(_empty(r.get(key, "")) for r in records)}
        missing = sorted(extra - empty)
        records = [{k: v for k, v in r.items() if k not in empty} for r in records]
        if missing:
            raise ValueError(
                f"The records file {path} has no columns {missing} (an older "
                "version wrote it); write the study's records to a new file."
            )
        new = False
    else:
        header = list(
            fields or dict.fromkeys(key for record in records for key in record)
        )
        new = True
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        if new:
            writer.writeheader()
        writer.writerows(records)


def _empty(value):
    return value == "" or (isinstance(value, float) and math.isnan(value))


def read_csv_records(path, text_fields):
    """Read a CSV of records: booleans and numbers parsed, ``text_fields`` kept.

    A path ending in ``.gz`` is read through gzip.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key, value in row.items():
            if key in text_fields:
                continue
            if value in ("True", "False"):
                row[key] = value == "True"
            else:
                row[key] = float(value) if value not in ("", "nan") else math.nan
    return rows
