"""Watches and alerts: saved searches and stored patients checked after each sync or ingest (`run_watches`), each
finding written once with its reason, and alerts by e-mail and webhook."""

from trialscout.watch.config import AlertSettings, load_settings
from trialscout.watch.model import Delivery, Finding, Watch, WatchError, WatchSpec
from trialscout.watch.run import RunReport, WatchOutcome, add_watch, run_watches
from trialscout.watch.store import deliveries, findings, get_watch, list_watches, remove_watch, runs

__all__ = ["AlertSettings", "Delivery", "Finding", "RunReport", "Watch", "WatchError", "WatchOutcome", "WatchSpec",
           "add_watch", "deliveries", "findings", "get_watch", "list_watches", "load_settings", "remove_watch",
           "run_watches", "runs"]
