"""One exception family: every error says where (file, record, field) and why."""

from __future__ import annotations


class TrialscoutError(Exception):
    """Base error. `where` names the file/record/field, `why` the reason."""

    def __init__(self, why: str, *, where: str | None = None) -> None:
        self.why = why
        self.where = where
        super().__init__(f"{where}: {why}" if where else why)


class SourceError(TrialscoutError):
    """A file or record could not be read into a Study."""


class RecordError(SourceError):
    """One record inside a (possibly bulk) source is bad; the others are still readable."""


class StoreError(TrialscoutError):
    """The store could not be opened or written."""


class NotFoundError(TrialscoutError):
    """A requested record does not exist."""


class QueryError(TrialscoutError):
    """A search query or filter is malformed."""
