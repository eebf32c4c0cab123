import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the ledger's write-ahead log into the database file on a thread of its own, so the writer
/// (the connection that acknowledges events) does not.
///
/// SQLite's default `wal_autocheckpoint` runs the checkpoint inside the commit that takes the WAL
/// past 1,000 pages: that commit also copies about 4 MB into the database file and fsyncs it
/// (docs/BENCHMARKS.md: about 8% of the server's CPU at batches of 100, all of it on the one
/// writer, and a stall for the requests in that commit). Here the writer's WAL hook only counts:
/// past ``wakeFrames`` it wakes this thread, which runs a `PASSIVE` checkpoint through its own
/// connection while the writer goes on (a passive checkpoint never blocks writers or readers). If
/// the thread ever falls behind to ``writerFrames``, the writer checkpoints itself as before, so
/// the WAL stays bounded either way. Durability is unchanged: a commit is on disk (the WAL, fsynced
/// with `synchronous=FULL`) before it returns, and a checkpoint fsyncs the database file before the
/// WAL is reused.
///
/// Hand-written: SQLite offers the hook and the checkpoint call, GRDB no checkpointing thread.
final class WALCheckpointer: Sendable {
    /// WAL pages after which the writer wakes the thread (SQLite's default autocheckpoint).
    static let wakeFrames: Int32 = 1_000
    /// WAL pages after which the writer checkpoints itself (the thread is behind).
    static let writerFrames: Int32 = 16_000

    private struct State {
        var pending = false
        var stopped = false
        var checkpoints = 0
        var writerCheckpoints = 0
    }
    private let state = Mutex(State())
    private let wake = NSCondition()
    private let connection: DatabaseQueue

    /// Opens the thread's own connection to the database at `path` (already in WAL mode).
    init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        connection = try DatabaseQueue(path: path, configuration: config)
        try connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    }

    /// Installs the hook on the writer connection `db` and starts the thread. The hook holds a
    /// reference to this object for as long as the connection may commit (a few hundred bytes
    /// per opened store are never freed; ``stop()`` ends the thread and closes its connection).
    func attach(writer db: Database) {
        let context = Unmanaged.passRetained(self).toOpaque()
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, db, name, frames in
                guard let context else { return SQLITE_OK }
                let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
                let stopped = checkpointer.state.withLock { $0.stopped }
                if frames >= WALCheckpointer.writerFrames || (stopped && frames >= WALCheckpointer.wakeFrames) {
                    checkpointer.state.withLock { $0.writerCheckpoints += 1 }
                    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                } else if frames >= WALCheckpointer.wakeFrames {
                    checkpointer.signal()
                }
                return SQLITE_OK
            },
            context
        )
        let thread = Thread { [self] in run() }
        thread.name = "attest-wal-checkpoint"
        thread.start()
    }

    func signal() {
        wake.lock()
        let first = state.withLock { s in
            defer { s.pending = true }
            return !s.pending
        }
        if first { wake.signal() }
        wake.unlock()
    }

    func stop() {
        wake.lock()
        state.withLock { $0.stopped = true }
        wake.signal()
        wake.unlock()
    }

    /// Checkpoints run by the thread, and by the writer because the thread was behind.
    var counts: (thread: Int, writer: Int) { state.withLock { ($0.checkpoints, $0.writerCheckpoints) } }

    private func run() {
        while true {
            wake.lock()
            while !state.withLock({ $0.pending || $0.stopped }) { wake.wait() }
            let stopped = state.withLock { s in
                s.pending = false
                return s.stopped
            }
            wake.unlock()
            if stopped {
                try? connection.close()
                return
            }
            // A failure (say, the file went away) leaves the work to the writer's own checkpoints.
            try? connection.writeWithoutTransaction { db in
                _ = sqlite3_wal_checkpoint_v2(db.sqliteConnection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            }
            state.withLock { $0.checkpoints += 1 }
        }
    }
}
