import AttestCore
import Foundation
import Testing

@Suite("Line chunks (attest verify's read-ahead reader)")
struct LineChunksTests {
    /// Every line and the unterminated tail, read from `bytes` in chunks of `chunkBytes`.
    func read(_ bytes: [UInt8], chunkBytes: Int, throughPipe: Bool = false) throws -> (lines: [[UInt8]], tail: [UInt8]?, chunks: Int) {
        let fd: Int32
        if throughPipe {
            let pipe = Pipe()
            let writer = pipe.fileHandleForWriting
            Thread.detachNewThread {
                writer.write(Data(bytes))
                try? writer.close()
            }
            fd = pipe.fileHandleForReading.fileDescriptor
            return try collect(LineChunks(fd: fd, chunkBytes: chunkBytes), keeping: pipe)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chunks-\(UUID()).ndjson").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        return try collect(LineChunks(fd: handle.fileDescriptor, chunkBytes: chunkBytes), keeping: handle)
    }

    func collect(_ reader: LineChunks, keeping owner: AnyObject) throws -> (lines: [[UInt8]], tail: [UInt8]?, chunks: Int) {
        var lines: [[UInt8]] = []
        var tail: [UInt8]?
        var chunks = 0
        while let chunk = try reader.next() {
            #expect(tail == nil, "only the last chunk has an unterminated line")
            lines += chunk.lines.map(Array.init)
            if let last = chunk.unterminated { tail = Array(last) }
            chunks += 1
        }
        #expect(try reader.next() == nil, "the end stays the end")
        withExtendedLifetime(owner) {}
        return (lines, tail, chunks)
    }

    @Test("lines come back exactly, whatever the chunk size, from a file or a pipe")
    func exactLines() throws {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<24 {
            // Empty lines, short ones and lines longer than a chunk.
            let lines: [[UInt8]] = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                let length = [0, 1, 5, 30, 300].randomElement(using: &rng)!
                return (0..<length).map { _ in UInt8.random(in: 0x20...0x7E, using: &rng) }
            }
            let terminated = trial % 3 != 0
            var bytes = lines.map { $0 + [0x0A] }.flatMap { $0 }
            if !terminated, !bytes.isEmpty { bytes.removeLast() }
            for chunkBytes in [1, 7, 64, 4096] {
                let r = try read(bytes, chunkBytes: chunkBytes, throughPipe: trial % 2 == 0)
                // The reference: split at every newline; what follows the last one is the tail.
                var expected = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
                let tail = expected.removeLast()
                #expect(r.lines == expected, "trial \(trial), chunks of \(chunkBytes)")
                #expect(r.tail == (tail.isEmpty ? nil : tail), "trial \(trial), chunks of \(chunkBytes)")
                #expect(terminated || lines.isEmpty || r.tail != nil || lines.last!.isEmpty)
                if chunkBytes == 4096 && bytes.count < 4096 && !bytes.isEmpty { #expect(r.chunks == 1) }
            }
        }
        #expect(try read([], chunkBytes: 16).chunks == 0)
    }

    @Test("a reader stopped early lets its thread end, and a read error is reported")
    func stopAndError() throws {
        let bytes = Array(String(repeating: "{\"line\":1}\n", count: 10_000).utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chunks-\(UUID()).ndjson").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forReadingAtPath: path))
        let reader = LineChunks(fd: handle.fileDescriptor, chunkBytes: 64)
        #expect(try reader.next()?.lines.count == 5)
        reader.stop()
        try handle.close()

        // A directory cannot be read: the error comes out of next().
        let dir = open(FileManager.default.temporaryDirectory.path, O_RDONLY)
        defer { close(dir) }
        #expect(throws: POSIXError.self) { _ = try LineChunks(fd: dir).next() }
    }
}
