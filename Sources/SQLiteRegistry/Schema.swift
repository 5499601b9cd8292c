import GRDB

/// The database's tables, one migration per schema version. A migration that has run is never
/// edited: a change of shape is a new migration.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE files (
                    id TEXT PRIMARY KEY NOT NULL,
                    filename TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('document', 'jsonl')),
                    bytes INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    lines INTEGER NOT NULL,
                    examples INTEGER NOT NULL,
                    tokens INTEGER NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE adapters (
                    name TEXT PRIMARY KEY NOT NULL,
                    base_model TEXT NOT NULL,
                    base_model_sha256 TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    active_version INTEGER,
                    -- Numbers are never reused: NAME@N always means the same files, even after N is deleted.
                    next_version INTEGER NOT NULL DEFAULT 1,
                    created_at INTEGER NOT NULL,
                    FOREIGN KEY (name, active_version) REFERENCES adapter_versions (adapter, number) DEFERRABLE INITIALLY DEFERRED
                );
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY NOT NULL,
                    model TEXT NOT NULL,
                    adapter TEXT NOT NULL,
                    parent_adapter TEXT,
                    parent_version INTEGER,
                    training_file TEXT NOT NULL,
                    validation_file TEXT,
                    settings TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
                    step INTEGER NOT NULL DEFAULT 0,
                    total_steps INTEGER NOT NULL DEFAULT 0,
                    trained_tokens INTEGER NOT NULL DEFAULT 0,
                    error TEXT,
                    result_version INTEGER,
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    lease_owner TEXT,
                    lease_expires_at INTEGER,
                    created_at INTEGER NOT NULL,
                    started_at INTEGER,
                    finished_at INTEGER
                );
                CREATE INDEX jobs_by_status ON jobs (status);
                CREATE TABLE adapter_versions (
                    adapter TEXT NOT NULL REFERENCES adapters (name),
                    number INTEGER NOT NULL CHECK (number > 0),
                    parent_adapter TEXT,
                    parent_version INTEGER,
                    job_id TEXT REFERENCES jobs (id),
                    training_files TEXT NOT NULL,
                    hyperparameters TEXT,
                    metrics TEXT,
                    method TEXT NOT NULL,
                    path TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (adapter, number)
                );
                CREATE TABLE job_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    job_id TEXT NOT NULL REFERENCES jobs (id),
                    created_at INTEGER NOT NULL,
                    level TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    message TEXT NOT NULL,
                    step INTEGER,
                    loss REAL,
                    data TEXT NOT NULL
                );
                CREATE INDEX job_events_by_job ON job_events (job_id, id);
                CREATE TABLE activations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    adapter TEXT NOT NULL REFERENCES adapters (name),
                    from_version INTEGER,
                    to_version INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    via TEXT NOT NULL
                );
                CREATE INDEX activations_by_adapter ON activations (adapter, id);
                """)
        }
        return migrator
    }
}
