"""Keep a store current with ClinicalTrials.gov API v2 (or any server speaking it): `sync` runs or resumes a run;
`history` and `changes` read what runs did."""

from __future__ import annotations

from trialscout.sync.client import DEFAULT_BASE_URL, DEFAULT_RATE, ClientOptions, PageTokenRefused, SyncError
from trialscout.sync.diff import Change, diff_studies
from trialscout.sync.run import PageDone, SyncOptions, SyncReport, sync
from trialscout.sync.state import changes, history

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_RATE", "Change", "ClientOptions", "PageDone", "PageTokenRefused",
           "SyncError", "SyncOptions", "SyncReport", "changes", "diff_studies", "history", "sync"]
