import GRDB

/// The SQLite schema, as versioned migrations. Ledger tables refuse UPDATE and DELETE by trigger.
enum SQLiteSchema {
    /// Tables the database itself keeps append-only.
    static let ledgerTables = ["logs", "entries", "checkpoints", "nodes", "meta"]

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-ledger") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (
                        key TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE logs (
                        log_id INTEGER PRIMARY KEY,
                        tenant TEXT NOT NULL UNIQUE,
                        origin TEXT NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL
                    );
                    -- One row per entry. `hash` comes before the large `entry` column so reading hashes
                    -- does not touch overflow pages.
                    CREATE TABLE entries (
                        log_id INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        hash BLOB NOT NULL,
                        event_id TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        sig BLOB,
                        entry BLOB NOT NULL,
                        PRIMARY KEY (log_id, seq)
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX entries_event_id ON entries (log_id, event_id);
                    -- Every batch ends with a signed checkpoint; `frontier` is the compact range at `size`,
                    -- so the next append needs no other read.
                    CREATE TABLE checkpoints (
                        log_id INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        root BLOB NOT NULL,
                        note TEXT NOT NULL,
                        frontier BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (log_id, size)
                    ) WITHOUT ROWID;
                    -- Perfect Merkle subtrees of level >= 4; lower levels are computed from <= 16 entry hashes.
                    CREATE TABLE nodes (
                        log_id INTEGER NOT NULL,
                        level INTEGER NOT NULL,
                        idx INTEGER NOT NULL,
                        hash BLOB NOT NULL,
                        PRIMARY KEY (log_id, level, idx)
                    ) WITHOUT ROWID;
                    """
            )
            for table in ledgerTables {
                try db.execute(
                    sql: """
                        CREATE TRIGGER \(table)_refuse_update BEFORE UPDATE ON \(table)
                        BEGIN SELECT RAISE(ABORT, 'attest: \(table) is append-only: UPDATE refused'); END;
                        CREATE TRIGGER \(table)_refuse_delete BEFORE DELETE ON \(table)
                        BEGIN SELECT RAISE(ABORT, 'attest: \(table) is append-only: DELETE refused'); END;
                        """
                )
            }
        }
        m.registerMigration("v2-service") { db in
            try db.execute(
                sql: """
                    -- API tokens: only a SHA-256 of each token is stored. Tokens can be revoked (deleted).
                    CREATE TABLE tokens (
                        tenant TEXT NOT NULL,
                        name TEXT NOT NULL,
                        hash BLOB NOT NULL UNIQUE,
                        role TEXT NOT NULL,
                        subject TEXT,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (tenant, name)
                    ) WITHOUT ROWID;
                    -- Durable positions of in-process followers (monitors, exporters, the indexer).
                    CREATE TABLE follower_cursors (
                        name TEXT NOT NULL,
                        log_id INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (name, log_id)
                    ) WITHOUT ROWID;
                    """
            )
        }
        m.registerMigration("v3-cosignatures") { db in
            try db.execute(
                sql: """
                    -- Witness cosignatures (C2SP tlog-cosignature lines) of stored checkpoints, one per witness.
                    CREATE TABLE cosignatures (
                        log_id INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        witness TEXT NOT NULL,
                        line TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (log_id, size, witness)
                    ) WITHOUT ROWID;
                    CREATE TRIGGER cosignatures_refuse_update BEFORE UPDATE ON cosignatures
                    BEGIN SELECT RAISE(ABORT, 'attest: cosignatures is append-only: UPDATE refused'); END;
                    CREATE TRIGGER cosignatures_refuse_delete BEFORE DELETE ON cosignatures
                    BEGIN SELECT RAISE(ABORT, 'attest: cosignatures is append-only: DELETE refused'); END;
                    """
            )
        }
        m.registerMigration("v4-usage") { db in
            try db.execute(
                sql: """
                    -- Usage analytics from OTLP metrics: not ledger data, so neither chained nor append-only.
                    CREATE TABLE usage (
                        tenant TEXT NOT NULL,
                        time INTEGER NOT NULL,
                        day TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        agent TEXT NOT NULL,
                        model TEXT NOT NULL,
                        measure TEXT NOT NULL,
                        value REAL NOT NULL
                    );
                    CREATE INDEX usage_tenant_time ON usage (tenant, time);
                    -- The last value of each cumulative series, to turn totals into increases.
                    CREATE TABLE usage_series (
                        tenant TEXT NOT NULL,
                        series TEXT NOT NULL,
                        start_nanos INTEGER NOT NULL,
                        last_value REAL NOT NULL,
                        PRIMARY KEY (tenant, series)
                    ) WITHOUT ROWID;
                    """
            )
        }
        m.registerMigration("v5-keys") { db in
            try db.execute(
                sql: """
                    -- Each log's key history (FORMAT §5, Key rotation): the first key from size 0, then one
                    -- row per rotation. The rotation entries in the log are the authority; this is their index.
                    CREATE TABLE log_keys (
                        log_id INTEGER NOT NULL,
                        from_size INTEGER NOT NULL,
                        verifier_key TEXT NOT NULL,
                        rotation_seq INTEGER,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (log_id, from_size)
                    ) WITHOUT ROWID;
                    CREATE TRIGGER log_keys_refuse_update BEFORE UPDATE ON log_keys
                    BEGIN SELECT RAISE(ABORT, 'attest: log_keys is append-only: UPDATE refused'); END;
                    CREATE TRIGGER log_keys_refuse_delete BEFORE DELETE ON log_keys
                    BEGIN SELECT RAISE(ABORT, 'attest: log_keys is append-only: DELETE refused'); END;
                    """
            )
        }
        m.registerMigration("v6-entries-rowid") { db in
            // v1 kept entries in a WITHOUT ROWID table. Its B-tree carries whole rows in interior
            // pages too, and with ~1 KB entries only three fit a page: the file was 3.4x the data
            // and every append wrote ~10 KB per entry (WAL and checkpoint). A rowid table keeps
            // the entry bytes in its leaves only; (log_id, seq) becomes a unique index. Rows are
            // copied in (log_id, seq) order, so rowids follow seqs.
            try db.execute(
                sql: """
                    CREATE TABLE entries_v6 (
                        log_id INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        hash BLOB NOT NULL,
                        event_id TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        sig BLOB,
                        entry BLOB NOT NULL
                    );
                    INSERT INTO entries_v6 (log_id, seq, hash, event_id, received_at, sig, entry)
                        SELECT log_id, seq, hash, event_id, received_at, sig, entry FROM entries ORDER BY log_id, seq;
                    DROP TABLE entries;
                    ALTER TABLE entries_v6 RENAME TO entries;
                    CREATE UNIQUE INDEX entries_seq ON entries (log_id, seq);
                    CREATE UNIQUE INDEX entries_event_id ON entries (log_id, event_id);
                    CREATE TRIGGER entries_refuse_update BEFORE UPDATE ON entries
                    BEGIN SELECT RAISE(ABORT, 'attest: entries is append-only: UPDATE refused'); END;
                    CREATE TRIGGER entries_refuse_delete BEFORE DELETE ON entries
                    BEGIN SELECT RAISE(ABORT, 'attest: entries is append-only: DELETE refused'); END;
                    """
            )
        }
        m.registerMigration("v7-proof-tiles") { db in
            // Proof tiles (SQLiteLedgerStore+Tiles.swift): 16 leaf hashes, or 16 level-4 node hashes, in
            // one row, so an inclusion proof reads two rows instead of 16 entries and 4 nodes. Derived
            // from the entries and nodes like the nodes themselves, append-only like them; this
            // migration builds the tiles of every complete block already stored.
            try db.execute(
                sql: """
                    CREATE TABLE tiles (
                        tile_id INTEGER PRIMARY KEY,
                        hashes BLOB NOT NULL
                    );
                    CREATE TRIGGER tiles_refuse_update BEFORE UPDATE ON tiles
                    BEGIN SELECT RAISE(ABORT, 'attest: tiles is append-only: UPDATE refused'); END;
                    CREATE TRIGGER tiles_refuse_delete BEFORE DELETE ON tiles
                    BEGIN SELECT RAISE(ABORT, 'attest: tiles is append-only: DELETE refused'); END;
                    """
            )
            try SQLiteLedgerStore.backfillTiles(db)
        }
        return m
    }

    /// The query index lives in its own SQLite file with its own writer: it is derived from the
    /// entries and rebuildable, so its writes never wait for, or make wait, a ledger commit.
    static var indexMigrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-index") { db in
            try db.execute(
                sql: """
                    CREATE TABLE event_index (
                        log_id INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        time INTEGER NOT NULL,
                        action TEXT NOT NULL,
                        category TEXT,
                        actor_id TEXT NOT NULL,
                        on_behalf_of TEXT,
                        agent_id TEXT,
                        session_id TEXT,
                        resource_type TEXT,
                        resource_id TEXT,
                        outcome TEXT,
                        risk INTEGER,
                        PRIMARY KEY (log_id, seq)
                    ) WITHOUT ROWID;
                    CREATE INDEX event_index_time ON event_index (log_id, time);
                    CREATE INDEX event_index_actor ON event_index (log_id, actor_id, seq);
                    CREATE INDEX event_index_obo ON event_index (log_id, on_behalf_of, seq) WHERE on_behalf_of IS NOT NULL;
                    CREATE INDEX event_index_agent ON event_index (log_id, agent_id, seq) WHERE agent_id IS NOT NULL;
                    CREATE INDEX event_index_action ON event_index (log_id, action, seq);
                    CREATE INDEX event_index_category ON event_index (log_id, category, seq) WHERE category IS NOT NULL;
                    CREATE INDEX event_index_resource ON event_index (log_id, resource_type, resource_id, seq)
                        WHERE resource_type IS NOT NULL OR resource_id IS NOT NULL;
                    CREATE INDEX event_index_session ON event_index (log_id, session_id, seq) WHERE session_id IS NOT NULL;
                    CREATE TABLE index_state (
                        log_id INTEGER PRIMARY KEY,
                        indexed_size INTEGER NOT NULL
                    );
                    """
            )
        }
        return m
    }
}
