import Foundation

/// Reads a file of lines in chunks of about 1 MiB of whole lines, one chunk ahead on its own
/// thread, so reading and splitting overlap with the verification of the chunk before
/// (`attest verify BUNDLE` feeds each chunk to ``BundleVerifier/feed(lines:)``).
public final class LineChunks: @unchecked Sendable {
    /// Whole lines (without their newlines), and at the end of the input a last line without a
    /// newline, if any.
    public struct Chunk: Sendable {
        public var lines: [ArraySlice<UInt8>]
        public var unterminated: ArraySlice<UInt8>?
    }

    private let fd: Int32
    private let chunkBytes: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var ready: [Chunk] = []
    private var finished = false
    private var failure: (any Error)?
    private var stopped = false

    /// Starts reading `fd` (which stays open: the caller closes it after the last chunk).
    public init(fd: Int32, chunkBytes: Int = 1 << 20) {
        precondition(chunkBytes > 0)
        self.fd = fd
        self.chunkBytes = chunkBytes
        Thread.detachNewThread { [self] in readAll() }
    }

    /// The next chunk, or `nil` at the end of the input. Throws when reading failed.
    public func next() throws -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished { condition.wait() }
        if !ready.isEmpty {
            condition.signal()
            return ready.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    /// Stops reading ahead (e.g. after a failure was found).
    public func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func put(_ chunk: Chunk) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while ready.count >= 2 && !stopped { condition.wait() }  // one chunk ahead of the one being verified
        guard !stopped else { return false }
        ready.append(chunk)
        condition.signal()
        return true
    }

    private func end(_ error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        condition.signal()
        condition.unlock()
    }

    private func readAll() {
        var carry: [UInt8] = []
        while true {
            // The carried bytes, then up to `chunkBytes` read straight into the array's spare
            // capacity (no zero fill first).
            let start = carry.count
            var got = 0
            var atEnd = false
            var failed: Int32 = 0
            let buffer = [UInt8](unsafeUninitializedCapacity: start + chunkBytes) { raw, initialized in
                if start > 0 { _ = carry.withUnsafeBufferPointer { memcpy(raw.baseAddress!, $0.baseAddress!, start) } }
                while got < chunkBytes {
                    let n = read(fd, raw.baseAddress! + start + got, chunkBytes - got)
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 {
                        failed = errno
                        break
                    }
                    if n == 0 {
                        atEnd = true
                        break
                    }
                    got += n
                }
                initialized = start + got
            }
            if failed != 0 {
                end(POSIXError(POSIXErrorCode(rawValue: failed) ?? .EIO))
                return
            }
            // The whole lines, found with memchr; what follows the last newline waits for more.
            var lines: [ArraySlice<UInt8>] = []
            lines.reserveCapacity(buffer.count / 256 + 1)
            var lineStart = 0
            buffer.withUnsafeBytes { raw in
                let base = raw.baseAddress!
                while lineStart < raw.count, let nl = memchr(base + lineStart, 0x0A, raw.count - lineStart) {
                    let end = base.distance(to: UnsafeRawPointer(nl))
                    lines.append(buffer[lineStart..<end])
                    lineStart = end + 1
                }
            }
            carry = Array(buffer[lineStart...])
            if atEnd {
                if !lines.isEmpty || !carry.isEmpty {
                    guard put(Chunk(lines: lines, unterminated: carry.isEmpty ? nil : carry[...])) else { return }
                }
                end(nil)
                return
            }
            if !lines.isEmpty { guard put(Chunk(lines: lines, unterminated: nil)) else { return } }
        }
    }
}
