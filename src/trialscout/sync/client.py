"""The HTTP side of sync: pages of `GET {base}/studies`, a token-bucket rate limit, timeouts on every request, and
retries of what a retry can fix (429, 5xx, timeouts, resets, a body cut short) with exponential backoff and jitter
that honour `Retry-After`. Nothing here knows the real host: the base URL is a parameter."""

from __future__ import annotations

import email.utils
import io
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from trialscout import __version__
from trialscout.errors import TrialscoutError
from trialscout.sources import json_split

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
DEFAULT_RATE = 50.0
"""Requests per minute: ClinicalTrials.gov asks for about 50 a minute per address."""
MAX_PAGE_SIZE = 1000
"""The largest `pageSize` the API takes."""


class SyncError(TrialscoutError):
    """A sync could not go on: the server refused, or kept failing after every retry. The checkpoint is kept."""


class PageTokenRefused(SyncError):
    """The server answered 400 to a request carrying a `pageToken`: the token is wrong or has expired."""


@dataclass(frozen=True)
class ClientOptions:
    base_url: str = DEFAULT_BASE_URL
    rate_per_minute: float = DEFAULT_RATE
    burst: int = 5
    """Requests the bucket holds: a few may go at once, after which they are spaced at the rate."""
    timeout: float = 60.0
    """Seconds for connecting, and for each read, of one request."""
    max_tries: int = 6
    backoff: float = 2.0
    """The first retry waits about this long (with jitter), each later one twice as long..."""
    backoff_max: float = 120.0
    """...up to this."""
    retry_after_max: float = 600.0
    """The longest `Retry-After` honoured; a server asking for more is an error (say so rather than hang)."""


@dataclass
class TokenBucket:
    """`rate` tokens a minute, at most `capacity` saved up; `take` waits for one."""

    rate_per_minute: float
    capacity: int
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.rate_per_minute <= 0:
            raise SyncError(f"the rate must be above 0 requests a minute (got {self.rate_per_minute})")
        self.capacity = max(1, self.capacity)
        self._tokens, self._at = float(self.capacity), self.clock()

    def take(self) -> float:
        """Wait until a request may go; returns the seconds waited."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate_per_minute / 60.0)
            self._at = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) * 60.0 / self.rate_per_minute
            self._tokens -= 1  # may go below zero: the wait below pays it back
        if wait > 0:
            self.sleep(wait)
        return wait


@dataclass(frozen=True)
class Page:
    """One answer of `/studies`: its studies as parsed JSON values (each validated later, on its own), the token of
    the next page (None on the last), and the total when it was asked for."""

    studies: list[RawStudy]
    next_token: str | None
    total: int | None
    tries: int


class _Retry(Exception):
    """A failure a later try may not meet (the reason, and how long the server asked us to wait)."""

    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.why, self.retry_after = why, retry_after


class ApiClient:
    """`studies(params)` fetches one page, retrying what can be retried; use as a context manager."""

    def __init__(self, options: ClientOptions, *, on_retry: Callable[[int, str, float], None] | None = None,
                 rng: random.Random | None = None) -> None:
        self.options = options
        self.base_url = options.base_url.rstrip("/")
        self.bucket = TokenBucket(options.rate_per_minute, options.burst)
        self.on_retry = on_retry
        self.rng = rng or random.Random()
        self.http = httpx.Client(timeout=httpx.Timeout(options.timeout), follow_redirects=True,
                                 headers={"User-Agent": f"trialscout/{__version__} (sync)",
                                          "Accept": "application/json"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def studies(self, params: dict[str, str]) -> Page:
        """One page of `GET {base}/studies` with these query parameters."""
        url = f"{self.base_url}/studies"
        last = ""
        for attempt in range(1, max(1, self.options.max_tries) + 1):
            self.bucket.take()
            try:
                page = self._once(url, params)
                return Page(page.studies, page.next_token, page.total, attempt)
            except _Retry as exc:
                last = exc.why
                if attempt >= self.options.max_tries:
                    break
                delay = self._delay(attempt, exc.retry_after)
                if self.on_retry:
                    self.on_retry(attempt, exc.why, delay)
                time.sleep(delay)
        raise SyncError(f"gave up after {self.options.max_tries} tries; the last: {last}", where=url)

    def _once(self, url: str, params: dict[str, str]) -> Page:
        try:
            response = self.http.get(url, params=params)
        except httpx.TimeoutException as exc:
            raise _Retry(f"no answer within {self.options.timeout:g} s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:  # refused, reset, closed mid-body
            raise _Retry(f"connection failed ({type(exc).__name__}: {str(exc)[:120]})") from None
        status = response.status_code
        if status == 429 or status >= 500:
            after = retry_after_seconds(response.headers.get("Retry-After"))
            if after is not None and after > self.options.retry_after_max:
                raise SyncError(f"the server asks to wait {after:.0f} s before asking again (HTTP {status}), longer "
                                f"than the {self.options.retry_after_max:.0f} s this sync waits", where=url)
            raise _Retry(f"HTTP {status}{_said(response)}", after)
        if status == 400 and "pageToken" in params:
            raise PageTokenRefused(f"the server refused the page token (HTTP 400{_said(response)})", where=url)
        if status != 200:
            raise SyncError(f"the server refused the request (HTTP {status}{_said(response)})", where=url)
        return parse_page(response.content)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter (half to all of the step), never shorter than `Retry-After`."""
        step = min(self.options.backoff_max, self.options.backoff * 2 ** (attempt - 1))
        delay = step * (0.5 + self.rng.random() / 2)
        return max(delay, retry_after) if retry_after is not None else delay


def _said(response: httpx.Response) -> str:
    text = " ".join(response.text[:200].split())
    return f": {text}" if text else ""


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number of seconds, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _lenient_int(text: str) -> int:
    return int(text) if len(text) <= 18 else 0  # never converts a huge one: the study's own check reports it


def _lenient_number(_text: str) -> int:
    return 0


_TOKEN_AT_END = re.compile(rb'"nextPageToken"\s*:\s*"([^"\\]{1,512})"\s*}\s*$')


def parse_page(body: bytes) -> Page:
    """The studies and next-page token of a response body. A body that is not complete JSON (cut short) is worth
    another try; one study the limits refuse (a huge number, deep nesting) is not the page's fault, so numbers are
    not converted here: each study is checked on its own afterwards (`run.study_of`)."""
    try:
        doc = json.loads(body, parse_int=_lenient_int, parse_float=_lenient_number,
                         parse_constant=_lenient_number)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Retry(f"the answer is not complete JSON ({str(exc)[:100]}; {len(body):,} bytes)") from None
    except RecursionError:
        return _deep_page(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("studies", []), list):
        raise _Retry('the answer is not a page of studies (no "studies" list)')
    return _page_of(body, doc)


def _page_of(body: bytes, doc: dict[str, Any]) -> Page:
    """The page with its studies parsed under the limits, one at a time (the lenient parse above only proved the
    body whole; it also dropped the numbers). A page without studies has none."""
    studies = ([RawStudy(p.data, p.depth, p.error) for p in json_split.iter_array(io.BytesIO(body), "studies")]
               if doc.get("studies") else [])
    token = doc.get("nextPageToken")
    total = doc.get("totalCount")
    return Page(studies, token if isinstance(token, str) and token else None,
                total if isinstance(total, int) and "totalCount" in doc else None, 1)


def _deep_page(body: bytes) -> Page:
    """A whole page nested too deeply for the parser (one hostile study): cut the studies out without parsing it,
    and read the token from the body's end, where the API writes it."""
    studies = [RawStudy(p.data, p.depth, p.error) for p in json_split.iter_array(io.BytesIO(body), "studies")]
    found = _TOKEN_AT_END.search(body[-1024:])
    return Page(studies, found.group(1).decode("utf-8", "replace") if found else None, None, 1)


@dataclass(frozen=True)
class RawStudy:
    """A study's bytes as cut out of the page, or why it could not be cut out."""

    data: bytes
    depth: int | None
    error: str | None
