/// The PostgreSQL schema of Attest (docs/POSTGRES.md), as versioned migrations.
///
/// Everything lives in the schema `attest`, owned by the owner role. The runtime role (what
/// `attest serve` connects as) gets `SELECT` and `INSERT` on ledger tables and nothing else there:
/// no `UPDATE`, `DELETE` or `TRUNCATE`. Triggers refuse updates, deletes and truncation of ledger
/// tables even for the owner, unless the owner opens the maintenance path
/// (`SET LOCAL attest.maintenance = 'on'` in a transaction). Row-level security keeps tenants apart:
/// the server sets `attest.tenant` per transaction, and rows of other tenants are invisible.
enum PostgresSchema {
    /// The schema name. Fixed: every statement names it, so `search_path` never matters.
    static let schema = "attest"

    /// Ledger tables: append-only, guarded by triggers, `SELECT`/`INSERT` only for the runtime role.
    static let ledgerTables = ["meta", "logs", "entries", "event_ids", "checkpoints", "nodes", "cosignatures", "log_keys"]

    /// Monthly partitioned tables (by `received_at`, microseconds since the epoch).
    static let partitionedTables = ["entries", "event_index"]

    /// Advisory lock class for Attest (`'Attt'` as an int4): `(class, 0)` guards migrations and
    /// partition creation, `(class + 1, log_id)` serializes appends to one log.
    static let lockClass: Int32 = 0x4174_7474
    static let logLockClass: Int32 = 0x4174_7475
    /// `(class + 2, log_id)` lets one indexer at a time work on a log.
    static let indexLockClass: Int32 = 0x4174_7476
    /// Advisory lock class serializing one tenant's usage analytics writes (cumulative series).
    static let usageLockClass: Int32 = 0x4174_7477

    struct Migration {
        let version: Int
        let name: String
        let sql: String
    }

    /// Versioned migrations, applied in order, each in its own transaction, as the owner role.
    static let migrations: [Migration] = [
        Migration(version: 1, name: "ledger", sql: v1),
        Migration(version: 2, name: "cosignatures", sql: v2),
        Migration(version: 3, name: "usage", sql: v3),
        Migration(version: 4, name: "keys", sql: v4),
    ]

    static let v4 = """
        -- Each log's key history (FORMAT §5, Key rotation): the first key from size 0, then one row per
        -- rotation. The rotation entries in the log are the authority; this is their index.
        CREATE TABLE attest.log_keys (
            log_id bigint NOT NULL,
            from_size bigint NOT NULL,
            verifier_key text NOT NULL,
            rotation_seq bigint,
            created_at bigint NOT NULL,
            PRIMARY KEY (log_id, from_size)
        );
        CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON attest.log_keys
            FOR EACH ROW EXECUTE FUNCTION attest.refuse_change();
        CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON attest.log_keys
            FOR EACH STATEMENT EXECUTE FUNCTION attest.refuse_change();
        ALTER TABLE attest.log_keys ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_rows ON attest.log_keys USING (log_id = (SELECT attest.tenant_log_id()))
            WITH CHECK (log_id = (SELECT attest.tenant_log_id()));
        """

    static let v3 = """
        -- Usage analytics from OTLP metrics: not ledger data, so neither chained nor append-only.
        CREATE TABLE attest.usage (
            tenant text NOT NULL,
            time bigint NOT NULL,
            day text NOT NULL,
            user_id text NOT NULL,
            agent text NOT NULL,
            model text NOT NULL,
            measure text NOT NULL,
            value double precision NOT NULL
        );
        CREATE INDEX usage_tenant_time ON attest.usage (tenant, time);
        -- The last value of each cumulative series, to turn totals into increases.
        CREATE TABLE attest.usage_series (
            tenant text NOT NULL,
            series text NOT NULL,
            start_nanos bigint NOT NULL,
            last_value double precision NOT NULL,
            PRIMARY KEY (tenant, series)
        );
        ALTER TABLE attest.usage ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_rows ON attest.usage USING (tenant = current_setting('attest.tenant', true))
            WITH CHECK (tenant = current_setting('attest.tenant', true));
        ALTER TABLE attest.usage_series ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_rows ON attest.usage_series USING (tenant = current_setting('attest.tenant', true))
            WITH CHECK (tenant = current_setting('attest.tenant', true));
        """

    static let v2 = """
        -- Witness cosignatures (C2SP tlog-cosignature lines) of stored checkpoints, one per witness.
        CREATE TABLE attest.cosignatures (
            log_id bigint NOT NULL,
            size bigint NOT NULL,
            witness text NOT NULL,
            line text NOT NULL,
            created_at bigint NOT NULL,
            PRIMARY KEY (log_id, size, witness)
        );
        CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON attest.cosignatures
            FOR EACH ROW EXECUTE FUNCTION attest.refuse_change();
        CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON attest.cosignatures
            FOR EACH STATEMENT EXECUTE FUNCTION attest.refuse_change();
        ALTER TABLE attest.cosignatures ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_rows ON attest.cosignatures USING (log_id = (SELECT attest.tenant_log_id()))
            WITH CHECK (log_id = (SELECT attest.tenant_log_id()));
        """

    static let v1 = """
        CREATE TABLE attest.meta (
            key text PRIMARY KEY,
            value text NOT NULL
        );
        CREATE TABLE attest.logs (
            log_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tenant text NOT NULL UNIQUE,
            origin text NOT NULL UNIQUE,
            created_at bigint NOT NULL
        );
        -- Entries, partitioned by month of received_at. (log_id, seq) is unique because appends to a
        -- log are serialized by an advisory lock and seq comes from the log head; the primary key
        -- must include the partition key.
        CREATE TABLE attest.entries (
            log_id bigint NOT NULL,
            seq bigint NOT NULL,
            hash bytea NOT NULL,
            event_id text NOT NULL,
            received_at bigint NOT NULL,
            sig bytea,
            entry bytea NOT NULL,
            PRIMARY KEY (log_id, seq, received_at)
        ) PARTITION BY RANGE (received_at);
        -- Event IDs across every partition: the database enforces idempotency keys.
        CREATE TABLE attest.event_ids (
            log_id bigint NOT NULL,
            event_id text NOT NULL,
            seq bigint NOT NULL,
            PRIMARY KEY (log_id, event_id)
        );
        -- One signed checkpoint per committed batch; frontier is the compact range at size and
        -- last_hash the hash of entry size-1, so the next append reads one row.
        CREATE TABLE attest.checkpoints (
            log_id bigint NOT NULL,
            size bigint NOT NULL,
            root bytea NOT NULL,
            note text NOT NULL,
            frontier bytea NOT NULL,
            last_hash bytea,
            created_at bigint NOT NULL,
            PRIMARY KEY (log_id, size)
        );
        -- Perfect Merkle subtrees of level >= 4; lower levels are computed from <= 16 entry hashes.
        CREATE TABLE attest.nodes (
            log_id bigint NOT NULL,
            level smallint NOT NULL,
            idx bigint NOT NULL,
            hash bytea NOT NULL,
            PRIMARY KEY (log_id, level, idx)
        );
        -- Service state (not ledger): API tokens (SHA-256 only) and follower cursors.
        CREATE TABLE attest.tokens (
            tenant text NOT NULL,
            name text NOT NULL,
            hash bytea NOT NULL UNIQUE,
            role text NOT NULL,
            subject text,
            created_at bigint NOT NULL,
            PRIMARY KEY (tenant, name)
        );
        CREATE TABLE attest.follower_cursors (
            name text NOT NULL,
            log_id bigint NOT NULL,
            position bigint NOT NULL,
            updated_at bigint NOT NULL,
            PRIMARY KEY (name, log_id)
        );
        -- The query index: derived from entries, rebuildable, written just behind the append path.
        CREATE TABLE attest.event_index (
            log_id bigint NOT NULL,
            seq bigint NOT NULL,
            received_at bigint NOT NULL,
            time bigint NOT NULL,
            action text COLLATE "C" NOT NULL,
            category text,
            actor_id text NOT NULL,
            on_behalf_of text,
            agent_id text,
            session_id text,
            resource_type text,
            resource_id text,
            outcome text,
            risk smallint,
            PRIMARY KEY (log_id, seq, received_at)
        ) PARTITION BY RANGE (received_at);
        CREATE INDEX event_index_time ON attest.event_index (log_id, time);
        CREATE INDEX event_index_actor ON attest.event_index (log_id, actor_id, seq);
        CREATE INDEX event_index_obo ON attest.event_index (log_id, on_behalf_of, seq) WHERE on_behalf_of IS NOT NULL;
        CREATE INDEX event_index_agent ON attest.event_index (log_id, agent_id, seq) WHERE agent_id IS NOT NULL;
        CREATE INDEX event_index_action ON attest.event_index (log_id, action, seq);
        CREATE INDEX event_index_category ON attest.event_index (log_id, category, seq) WHERE category IS NOT NULL;
        CREATE INDEX event_index_resource ON attest.event_index (log_id, resource_type, resource_id, seq)
            WHERE resource_type IS NOT NULL OR resource_id IS NOT NULL;
        CREATE INDEX event_index_session ON attest.event_index (log_id, session_id, seq) WHERE session_id IS NOT NULL;
        CREATE INDEX event_index_outcome ON attest.event_index (log_id, outcome, seq) WHERE outcome IS NOT NULL;
        CREATE INDEX event_index_risk ON attest.event_index (log_id, risk, seq) WHERE risk IS NOT NULL;
        CREATE TABLE attest.index_state (
            log_id bigint PRIMARY KEY,
            indexed_size bigint NOT NULL
        );

        -- Append-only: UPDATE, DELETE and TRUNCATE are refused for everyone, the owner included,
        -- unless a member of the table owner's role opened the maintenance path in its transaction.
        CREATE FUNCTION attest.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            IF current_setting('attest.maintenance', true) = 'on'
               AND pg_has_role(current_user, (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'attest: % is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'see docs/POSTGRES.md, "Maintenance"';
        END
        $f$;
        DO $d$
        DECLARE t text;
        BEGIN
            FOREACH t IN ARRAY ARRAY['meta', 'logs', 'entries', 'event_ids', 'checkpoints', 'nodes'] LOOP
                EXECUTE format('CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON attest.%I
                                FOR EACH ROW EXECUTE FUNCTION attest.refuse_change()', t);
                EXECUTE format('CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON attest.%I
                                FOR EACH STATEMENT EXECUTE FUNCTION attest.refuse_change()', t);
            END LOOP;
        END
        $d$;

        -- Monthly partitions, made ahead of time. SECURITY DEFINER: the runtime role may call it but
        -- cannot create tables itself. Partitions get no grants: the runtime role reaches rows only
        -- through the parent tables, where row-level security applies.
        CREATE FUNCTION attest.ensure_partitions(at_us bigint, months_ahead integer) RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$
        DECLARE
            m date := date_trunc('month', to_timestamp(at_us / 1000000.0) AT TIME ZONE 'UTC')::date;
            lo bigint;
            hi bigint;
            t text;
            part text;
            made integer := 0;
        BEGIN
            IF months_ahead < 0 OR months_ahead > 120 THEN
                RAISE EXCEPTION 'months_ahead must be 0-120';
            END IF;
            PERFORM pg_advisory_xact_lock(\(lockClass), 0);
            FOR i IN 0..months_ahead LOOP
                lo := (extract(epoch FROM (m::timestamp AT TIME ZONE 'UTC')) * 1000000)::bigint;
                hi := (extract(epoch FROM ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC')) * 1000000)::bigint;
                FOREACH t IN ARRAY ARRAY['entries', 'event_index'] LOOP
                    part := t || '_' || to_char(m, 'YYYYMM');
                    IF to_regclass('attest.' || part) IS NULL THEN
                        EXECUTE format('CREATE TABLE attest.%I PARTITION OF attest.%I FOR VALUES FROM (%s) TO (%s)', part, t, lo, hi);
                        IF t = 'entries' THEN
                            EXECUTE format('CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON attest.%I
                                            FOR EACH STATEMENT EXECUTE FUNCTION attest.refuse_change()', part);
                        END IF;
                        made := made + 1;
                    END IF;
                END LOOP;
                m := (m + interval '1 month')::date;
            END LOOP;
            RETURN made;
        END
        $f$;
        REVOKE ALL ON FUNCTION attest.ensure_partitions(bigint, integer) FROM PUBLIC;

        -- Row-level security: a transaction sees only the rows of the tenant it named with
        -- set_config('attest.tenant', …, true). Table owners are exempt (maintenance, migrations).
        CREATE FUNCTION attest.tenant_log_id() RETURNS bigint LANGUAGE sql STABLE AS $f$
            SELECT log_id FROM attest.logs WHERE tenant = current_setting('attest.tenant', true)
        $f$;
        ALTER TABLE attest.logs ENABLE ROW LEVEL SECURITY;
        CREATE POLICY logs_read ON attest.logs FOR SELECT USING (true);
        CREATE POLICY logs_create ON attest.logs FOR INSERT WITH CHECK (tenant = current_setting('attest.tenant', true));
        ALTER TABLE attest.tokens ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_rows ON attest.tokens USING (tenant = current_setting('attest.tenant', true))
            WITH CHECK (tenant = current_setting('attest.tenant', true));
        DO $d$
        DECLARE t text;
        BEGIN
            FOREACH t IN ARRAY ARRAY['entries', 'event_ids', 'checkpoints', 'nodes', 'follower_cursors', 'event_index', 'index_state'] LOOP
                EXECUTE format('ALTER TABLE attest.%I ENABLE ROW LEVEL SECURITY', t);
                EXECUTE format('CREATE POLICY tenant_rows ON attest.%I USING (log_id = (SELECT attest.tenant_log_id()))
                                WITH CHECK (log_id = (SELECT attest.tenant_log_id()))', t);
            END LOOP;
        END
        $d$;

        -- Finding a token by its hash happens before the tenant is known: a narrow definer function.
        CREATE FUNCTION attest.token_by_hash(h bytea)
        RETURNS TABLE (tenant text, name text, hash bytea, role text, subject text, created_at bigint)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$
            SELECT t.tenant, t.name, t.hash, t.role, t.subject, t.created_at FROM attest.tokens t WHERE t.hash = h
        $f$;
        REVOKE ALL ON FUNCTION attest.token_by_hash(bytea) FROM PUBLIC;
        """

    /// Grants for the runtime role, applied on every `db init` (idempotent).
    static func grants(runtime r: String) -> String {
        """
        GRANT USAGE ON SCHEMA attest TO \(r);
        GRANT SELECT, INSERT ON attest.meta, attest.logs, attest.entries, attest.event_ids, attest.checkpoints, attest.nodes,
            attest.cosignatures, attest.log_keys TO \(r);
        GRANT SELECT, INSERT, DELETE ON attest.tokens TO \(r);
        GRANT SELECT, INSERT, UPDATE ON attest.follower_cursors, attest.index_state TO \(r);
        GRANT SELECT, INSERT ON attest.event_index TO \(r);
        GRANT SELECT, INSERT ON attest.usage TO \(r);
        GRANT SELECT, INSERT, UPDATE ON attest.usage_series TO \(r);
        GRANT SELECT ON attest.schema_migrations TO \(r);
        GRANT EXECUTE ON FUNCTION attest.ensure_partitions(bigint, integer), attest.token_by_hash(bytea),
            attest.tenant_log_id() TO \(r);
        """
    }
}
