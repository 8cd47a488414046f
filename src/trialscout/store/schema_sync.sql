-- ---- sync (issue 14): `trialscout sync` runs, the checkpoint of the run in progress, what they rejected, and the
-- field-level change log of every study a sync updated. Kept apart from the core schema (and from any later block,
-- such as watches) so each feature's tables can be read and upgraded on their own.
CREATE TABLE IF NOT EXISTS sync_runs (
    id        INTEGER PRIMARY KEY,
    started   TEXT NOT NULL,
    finished  TEXT,
    base_url  TEXT NOT NULL,
    query     TEXT NOT NULL,              -- JSON: {"query.cond": ..., "query.term": ...}, keys sorted
    since     TEXT,                       -- the LastUpdatePostDate the run asked from (NULL: every study)
    status    TEXT NOT NULL,              -- running | done | failed | interrupted | abandoned
    fetched   INTEGER NOT NULL DEFAULT 0,
    new       INTEGER NOT NULL DEFAULT 0,
    updated   INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejected  INTEGER NOT NULL DEFAULT 0,
    pages     INTEGER NOT NULL DEFAULT 0,
    newest    TEXT,                       -- the newest LastUpdatePostDate among the studies fetched
    error     TEXT
);

-- At most one row: the run in progress and the page to ask for next. Advanced in the same transaction as the page's
-- studies, so a run killed anywhere resumes at the first page not stored.
CREATE TABLE IF NOT EXISTS sync_checkpoint (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    run_id          INTEGER NOT NULL REFERENCES sync_runs(id),
    base_url        TEXT NOT NULL,
    query           TEXT NOT NULL,
    since           TEXT,
    next_page_token TEXT,                 -- NULL: the first page
    pages_done      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS sync_rejects (
    run_id  INTEGER NOT NULL REFERENCES sync_runs(id),
    page    INTEGER NOT NULL,
    nct_id  TEXT,                         -- NULL when the record did not say
    position TEXT NOT NULL,               -- where in the run: "page 3#7 [NCT01234567]"
    why     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_rejects_run ON sync_rejects(run_id);

CREATE TABLE IF NOT EXISTS study_changes (
    id      INTEGER PRIMARY KEY,
    nct_id  TEXT NOT NULL,
    run_id  INTEGER REFERENCES sync_runs(id),
    source  TEXT NOT NULL,                -- 'sync' (a later writer, such as ingest, names itself)
    at      TEXT NOT NULL,
    field   TEXT NOT NULL,                -- e.g. overallStatus, locations[Mayo Clinic, Rochester, ...].status
    old     TEXT,                         -- JSON
    new     TEXT                          -- JSON
);
CREATE INDEX IF NOT EXISTS study_changes_study ON study_changes(nct_id, id);
CREATE INDEX IF NOT EXISTS study_changes_run ON study_changes(run_id);
