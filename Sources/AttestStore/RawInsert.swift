import GRDB
import GRDBSQLite

/// Runs one row of a cached GRDB insert statement through SQLite's C API: binds each argument
/// straight from the caller's values and steps the statement once.
///
/// GRDB's `execute(arguments:)` builds an array of boxed `DatabaseValueConvertible` arguments per
/// row and turns each into a `DatabaseValue` (copying every blob into `Data`) before binding them:
/// allocation, reference counting and existential copies that showed in the writers' profiles
/// beside SQLite's own work. This is used for the rows written for every appended event (the
/// entry, its Merkle nodes, its query index row); the A/B is in docs/PERFORMANCE.md. Hand-written
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
    /// The first bind SQLite refused (a value too large, say): ``run()`` throws it instead of
    /// stepping a row that would hold NULL where the value should be.
    private var refused: (code: Int32, message: String)?

    init(_ statement: Statement, _ db: Database) {
        self.handle = statement.sqliteStatement
        self.db = db
    }

    /// SQLite copies the bytes before the bind returns (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Records the result of a bind.
    private mutating func check(_ code: Int32) {
        guard code != SQLITE_OK, refused == nil else { return }
        refused = (code, "binding parameter \(index): " + String(cString: sqlite3_errstr(code)))
    }

    mutating func int(_ value: Int64) {
        index += 1
        check(sqlite3_bind_int64(handle, index, value))
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
        let code = value.withUTF8 { bytes in
            // A zero-length pointer may be nil, which SQLite would bind as NULL: bind "" instead.
            if let base = bytes.baseAddress {
                sqlite3_bind_text64(h, i, base, sqlite3_uint64(bytes.count), Self.transient, UInt8(SQLITE_UTF8))
            } else {
                sqlite3_bind_text(h, i, "", 0, Self.transient)
            }
        }
        check(code)
    }

    mutating func blob(_ bytes: UnsafeRawBufferPointer) {
        index += 1
        if let base = bytes.baseAddress {
            check(sqlite3_bind_blob64(handle, index, base, sqlite3_uint64(bytes.count), Self.transient))
        } else {
            check(sqlite3_bind_zeroblob(handle, index, 0))
        }
    }

    mutating func blob(_ bytes: [UInt8]?) {
        guard let bytes else { return null() }
        bytes.withUnsafeBytes { blob($0) }
    }

    mutating func null() {
        index += 1
        check(sqlite3_bind_null(handle, index))
    }

    /// Steps the row; throws GRDB's `DatabaseError` (with SQLite's message) when SQLite refused a
    /// value or the row. The statement is reset and its bindings cleared either way.
    func run() throws {
        if let refused {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: refused.code), message: refused.message, sql: String(cString: sqlite3_sql(handle)))
        }
        let code = sqlite3_step(handle)
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(db.sqliteConnection))
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        if let message {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: String(cString: sqlite3_sql(handle)))
        }
    }
}
