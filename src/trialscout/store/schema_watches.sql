-- ---- watches (issue 14): saved searches and stored patients that `trialscout watch run` checks after each sync or
-- ingest, what each last saw of every trial, the findings it wrote, and the alerts sent for them.
CREATE TABLE IF NOT EXISTS watches (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,            -- search | patient
    spec           TEXT NOT NULL,            -- JSON: query, filters, place and radius (watch.model.WatchSpec)
    email          TEXT,
    webhook_url    TEXT,
    webhook_secret TEXT,
    created        TEXT NOT NULL,
    seen_study_id  INTEGER NOT NULL DEFAULT 0,  -- the highest studies.id when the watch last looked: above it, new
    seen_change_id INTEGER NOT NULL DEFAULT 0,  -- the highest study_changes.id then: above it, not yet reported
    looked_at      TEXT,                        -- when: a study stored (ingested_at) since then has changed
    last_run_id    INTEGER
);

-- The patient file a user asked to store for a patient watch (sensitive). Written once and never updated, so no
-- stale copy of it is left in a page; `watch remove` deletes it with secure_delete on (the bytes are overwritten).
CREATE TABLE IF NOT EXISTS watch_patients (
    watch_id INTEGER PRIMARY KEY REFERENCES watches(id) ON DELETE CASCADE,
    document TEXT NOT NULL
);

-- Per watch and trial: whether it matched when last looked at, and what decides it (status, sites in the radius,
-- the patient's verdict; JSON), with the record's content hash so an unchanged trial is not judged again.
CREATE TABLE IF NOT EXISTS watch_state (
    watch_id     INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    nct_id       TEXT NOT NULL,
    matched      INTEGER NOT NULL,
    content_hash TEXT,
    state        TEXT NOT NULL,
    PRIMARY KEY (watch_id, nct_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS watch_runs (
    id       INTEGER PRIMARY KEY,
    started  TEXT NOT NULL,
    finished TEXT,
    status   TEXT NOT NULL,                  -- running | done | failed
    watches  INTEGER NOT NULL DEFAULT 0,
    findings INTEGER NOT NULL DEFAULT 0,
    error    TEXT
);

-- Each finding written once: the state row moves with it in the same transaction.
CREATE TABLE IF NOT EXISTS watch_findings (
    id       INTEGER PRIMARY KEY,
    watch_id INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    run_id   INTEGER NOT NULL REFERENCES watch_runs(id),
    nct_id   TEXT NOT NULL,
    kind     TEXT NOT NULL,                  -- new | now_matches | changed | gone
    title    TEXT,
    status   TEXT,
    reason   TEXT NOT NULL,
    changes  TEXT NOT NULL,                  -- JSON: [{"field", "old", "new"}], the change that caused it
    at       TEXT NOT NULL,
    UNIQUE (watch_id, run_id, nct_id)
);
CREATE INDEX IF NOT EXISTS watch_findings_watch ON watch_findings(watch_id, id);

-- One alert per watch, run and channel (a digest of that run's findings); pending and failed ones are tried again
-- by the next `watch run`, a sent one never.
CREATE TABLE IF NOT EXISTS watch_deliveries (
    id         INTEGER PRIMARY KEY,
    watch_id   INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    run_id     INTEGER NOT NULL REFERENCES watch_runs(id),
    channel    TEXT NOT NULL,                -- email | webhook
    target     TEXT NOT NULL,
    status     TEXT NOT NULL,                -- pending | sent | failed
    tries      INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_try   TEXT,
    sent_at    TEXT,
    UNIQUE (watch_id, run_id, channel)
);
CREATE INDEX IF NOT EXISTS watch_deliveries_status ON watch_deliveries(status);
