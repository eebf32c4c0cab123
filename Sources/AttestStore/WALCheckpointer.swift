import CAttestSystem
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the ledger's write-ahead log into the database file on a thread of its own, so the writer
/// (the connection that acknowledges events) does not.
///
/// SQLite's default `wal_autocheckpoint` runs the checkpoint inside the commit that takes the WAL
/// past 1,000 pages: that commit also copies about 4 MB into the database file and fsyncs it
/// (docs/PERFORMANCE.md: about 8% of the server's CPU at batches of 100, all of it on the one
/// writer, and a stall for the requests in that commit). Here the writer's WAL hook only counts:
/// once ``wakeFrames`` pages were written since the last checkpoint it wakes this thread, which
/// runs a `PASSIVE` checkpoint through its own connection while the writer goes on (a passive
/// checkpoint never blocks writers or readers).
///
/// The count is of pages written since the last checkpoint began, not of the WAL's size: while
/// commits follow each other, a checkpoint running beside them rarely finds the WAL fully copied
/// at the moment the next commit begins, so the WAL is not restarted and its size stays past
/// 1,000 pages (as it does while a reader holds an older snapshot). Woken by size, the thread ran
/// a checkpoint (two fsyncs) after nearly every commit: 630 a second at 2,500 single-event
/// requests a second, more fsyncs than the commits themselves. Once the WAL has grown to
/// ``writerFrames`` pages, the writer checkpoints itself (at most once per ``wakeFrames`` new
/// pages): with no commit beside it, that checkpoint copies the last few pages and completes, and
/// the next commit starts the WAL from its beginning again, so the WAL stays bounded either way.
/// Durability is unchanged: a commit is on disk (the WAL, fsynced with `synchronous=FULL`) before
/// it returns, and a checkpoint fsyncs the database file before the WAL is reused.
///
/// Hand-written: SQLite offers the hook and the checkpoint call, GRDB no checkpointing thread.
final class WALCheckpointer: Sendable {
    /// Pages written since the last checkpoint after which the writer wakes the thread (SQLite's
    /// default autocheckpoint).
    static let wakeFrames: Int32 = 1_000
    /// WAL size in pages from which the writer checkpoints itself, so the WAL is restarted.
    static let writerFrames: Int32 = 16_000

    private struct State {
        var pending = false
        var stopped = false
        var checkpoints = 0
        var writerCheckpoints = 0
        /// The WAL's size in pages after the last commit.
        var frames: Int32 = 0
        /// The WAL's size when the last checkpoint began (by the thread or the writer).
        var attemptedAt: Int32 = 0
        /// The WAL's size at the writer's last own checkpoint.
        var writerAt: Int32 = 0

        /// Notes the WAL's size after a commit; a size below a noted one means the WAL was restarted.
        mutating func committed(_ frames: Int32) {
            if frames < attemptedAt || frames < writerAt {
                attemptedAt = 0
                writerAt = 0
            }
            self.frames = frames
        }

        /// Whether a checkpoint is due: ``wakeFrames`` pages written since the last one began.
        var due: Bool { frames - attemptedAt >= WALCheckpointer.wakeFrames }
    }

    /// What the writer does after a commit.
    private enum Step { case nothing, wake, checkpointHere }
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
                let step = checkpointer.state.withLock { s -> Step in
                    s.committed(frames)
                    // Stopped (the store is going away), the writer checkpoints as SQLite's own
                    // autocheckpoint would. Past `writerFrames` it does too, so the WAL is restarted.
                    let writerDue =
                        s.stopped ? s.due : frames >= WALCheckpointer.writerFrames && frames - s.writerAt >= WALCheckpointer.wakeFrames
                    if writerDue {
                        s.writerAt = frames
                        s.attemptedAt = frames
                        s.writerCheckpoints += 1
                        return .checkpointHere
                    }
                    return s.due && !s.pending ? .wake : .nothing
                }
                switch step {
                case .nothing: break
                case .wake: checkpointer.signal()
                case .checkpointHere: sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                }
                return SQLITE_OK
            },
            context
        )
        let thread = Thread { [self] in
            _ = attest_set_thread_name("attest-wal-ckpt")
            run()
        }
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

    /// Checkpoints run by the thread, and by the writer (past ``writerFrames``, or once stopped).
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
            // Woken while the last checkpoint ran, which began after the pages that woke it: not yet due.
            let due = state.withLock { s in
                guard s.due else { return false }
                s.attemptedAt = s.frames
                return true
            }
            guard due else { continue }
            // A failure (say, the file went away) leaves the work to the writer's own checkpoints.
            try? connection.writeWithoutTransaction { db in
                _ = sqlite3_wal_checkpoint_v2(db.sqliteConnection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            }
            state.withLock { $0.checkpoints += 1 }
        }
    }
}
