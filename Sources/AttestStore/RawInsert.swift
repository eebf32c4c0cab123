import GRDB
import GRDBSQLite

/// Runs one row of a cached GRDB insert statement through SQLite's C API: binds each argument
/// straight from the caller's values and steps the statement once.
///
/// GRDB's `execute(arguments:)` builds an array of boxed `DatabaseValueConvertible` arguments per
/// row and turns each into a `DatabaseValue` (copying every blob into `Data`) before binding them:
/// allocation, reference counting and existential copies that showed in the writers' profiles
/// beside SQLite's own work. This is used for the rows written for every appended event (the
/// entry, its Merkle nodes, its query index row); the A/B is in docs/BENCHMARKS.md. Hand-written
/// because GRDB has no binding path without the boxes.
///
/// The statement stays GRDB's (it prepares and finalizes it); after the step it is reset and its
/// bindings cleared, the state GRDB's own `execute(arguments:)` leaves it in, so GRDB can run it
/// again with arguments of its own. Only for inserts inside a write transaction: GRDB's
/// transaction observers (Attest registers none) do not see these rows.
struct RawInsert: ~Copyable {
    private let handle: OpaquePointer
    private let db: Database
    private var index: Int32 = 0

    init(_ statement: Statement, _ db: Database) {
        self.handle = statement.sqliteStatement
        self.db = db
    }

    /// SQLite copies the bytes before the bind returns (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func int(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(handle, index, value)
    }

    mutating func int(_ value: Int64?) {
        guard let value else { return null() }
        int(value)
    }

    mutating func text(_ value: String?) {
        guard var value else { return null() }
        index += 1
        let i = index
        let h = handle
        value.withUTF8 { bytes in
            // A zero-length pointer may be nil, which SQLite would bind as NULL: bind "" instead.
            if let base = bytes.baseAddress {
                sqlite3_bind_text(h, i, base, Int32(bytes.count), Self.transient)
            } else {
                sqlite3_bind_text(h, i, "", 0, Self.transient)
            }
        }
    }

    mutating func blob(_ bytes: UnsafeRawBufferPointer) {
        index += 1
        if let base = bytes.baseAddress {
            sqlite3_bind_blob(handle, index, base, Int32(bytes.count), Self.transient)
        } else {
            sqlite3_bind_zeroblob(handle, index, 0)
        }
    }

    mutating func blob(_ bytes: [UInt8]?) {
        guard let bytes else { return null() }
        bytes.withUnsafeBytes { blob($0) }
    }

    mutating func null() {
        index += 1
        sqlite3_bind_null(handle, index)
    }

    /// Steps the row; throws GRDB's `DatabaseError` (with SQLite's message) when SQLite refuses it.
    /// The statement is reset and its bindings cleared either way.
    func run() throws {
        let code = sqlite3_step(handle)
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(db.sqliteConnection))
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        if let message {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: String(cString: sqlite3_sql(handle)))
        }
    }
}
