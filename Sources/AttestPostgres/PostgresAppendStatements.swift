import NIOCore
import PostgresNIO

// The statements of every append, prepared once per connection (postgres-nio keeps them by name):
// planned afresh for every batch, the head read, the idempotency check and the insert cost
// PostgreSQL about 0.8 ms of planning per batch (`EXPLAIN (ANALYZE, SUMMARY)`, warm, on a slowed
// machine), against about 3.5 ms of execution. PostgreSQL plans the first five executions for
// their values and then keeps a generic plan when it is no worse; these are index probes and
// inserts, so the generic plans are the same.

/// The log's head (size, compact range, last entry hash) and the key in effect: only it may sign,
/// so a node still holding a rotated-out key cannot extend the log.
struct AppendHeadStatement: PostgresPreparedStatement {
    static let name = "attest_append_head"
    static let sql = """
        SELECT size, frontier, last_hash,
            (SELECT verifier_key FROM attest.log_keys WHERE log_id = $1 ORDER BY from_size DESC LIMIT 1)
        FROM attest.checkpoints WHERE log_id = $1 ORDER BY size DESC LIMIT 1
        """
    static let bindingDataTypes: [PostgresDataType] = [.int8]
    typealias Row = (Int64, ByteBuffer, ByteBuffer?, String?)

    var logID: Int64

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 1)
        b.append(logID)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// Idempotency: which of the batch's ids the log holds already, one index probe per id whatever
/// the statistics say (docs/POSTGRES.md, "Lookups by a list of keys").
struct AppendExistingIDsStatement: PostgresPreparedStatement {
    static let name = "attest_append_existing_ids"
    static let sql = """
        SELECT u.id, e.seq FROM unnest($2::text[]) AS u(id)
        CROSS JOIN LATERAL (SELECT seq FROM attest.event_ids WHERE log_id = $1 AND event_id = u.id LIMIT 1) AS e
        """
    static let bindingDataTypes: [PostgresDataType] = [.int8, .textArray]
    typealias Row = (String, Int64)

    var logID: Int64
    var ids: [String]

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 2)
        b.append(logID)
        b.append(ids)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The batch in one statement: event ids, entries, Merkle nodes (levels ≥ 4) and the signed
/// checkpoint, inserted from arrays.
struct AppendInsertStatement: PostgresPreparedStatement {
    static let name = "attest_append_insert"
    static let sql = """
        WITH ids AS (
            INSERT INTO attest.event_ids (log_id, event_id, seq)
            SELECT $1, i, s FROM unnest($4::text[], $2::bigint[]) AS t(i, s)
        ), ents AS (
            INSERT INTO attest.entries (log_id, seq, hash, event_id, received_at, sig, entry)
            SELECT $1, s, h, i, $5, CASE WHEN $6::bytea[] IS NULL THEN NULL ELSE ($6::bytea[])[n] END, e
            FROM unnest($2::bigint[], $3::bytea[], $4::text[], $7::bytea[]) WITH ORDINALITY AS t(s, h, i, e, n)
        ), nds AS (
            INSERT INTO attest.nodes (log_id, level, idx, hash)
            SELECT $1, l, x, h FROM unnest($8::smallint[], $9::bigint[], $10::bytea[]) AS t(l, x, h)
        )
        INSERT INTO attest.checkpoints (log_id, size, root, note, frontier, last_hash, created_at)
        VALUES ($1, $11, $12, $13, $14, $15, $16)
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .int8, .int8Array, .byteaArray, .textArray, .int8, .byteaArray, .byteaArray, .int2Array, .int8Array, .byteaArray,
        .int8, .bytea, .text, .bytea, .bytea, .int8,
    ]
    typealias Row = ()

    var logID: Int64
    var seqs: [Int64]
    var hashes: [ByteBuffer]
    var ids: [String]
    var receivedAt: Int64
    /// Nil when entries are not signed.
    var sigs: [ByteBuffer]?
    var entries: [ByteBuffer]
    var nodeLevels: [Int16]
    var nodeIndexes: [Int64]
    var nodeHashes: [ByteBuffer]
    var size: Int64
    var root: ByteBuffer
    var note: String
    var frontier: ByteBuffer
    var lastHash: ByteBuffer
    var createdAt: Int64

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 16)
        b.append(logID)
        b.append(seqs)
        b.append(hashes)
        b.append(ids)
        b.append(receivedAt)
        b.append(sigs)
        b.append(entries)
        b.append(nodeLevels)
        b.append(nodeIndexes)
        b.append(nodeHashes)
        b.append(size)
        b.append(root)
        b.append(note)
        b.append(frontier)
        b.append(lastHash)
        b.append(createdAt)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}
