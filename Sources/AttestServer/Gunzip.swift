import CompressNIO
import NIOCore

/// Decompresses a gzip request body with a hard output limit, through zlib (compress-nio), one
/// 64 KiB window at a time, so a small bomb cannot allocate more than the limit.
enum Gunzip {
    enum Failure: Error {
        case corrupt
        case tooLarge
    }

    static func decompress(_ body: ByteBuffer, limit: Int) throws(Failure) -> [UInt8] {
        var input = body
        let bytes = Array(body.readableBytesView)
        guard bytes.count >= 18, bytes[0] == 0x1F, bytes[1] == 0x8B else { throw .corrupt }
        let decompressor: ZlibDecompressor
        do { decompressor = try ZlibDecompressor(algorithm: .gzip) } catch { throw .corrupt }
        var out: [UInt8] = []
        var window = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        while true {
            window.clear()
            var more = false
            do {
                try decompressor.inflate(from: &input, to: &window)
            } catch let e as CompressNIOError where e == .bufferOverflow {
                more = true
            } catch {
                // Corrupt data, or input that ends before the gzip stream does.
                throw .corrupt
            }
            out.append(contentsOf: window.readableBytesView)
            if out.count > limit { throw .tooLarge }
            if !more { break }
        }
        // One gzip member, nothing after it; its trailer's ISIZE must match what came out.
        guard input.readableBytes == 0 else { throw .corrupt }
        let n = bytes.count
        let isize = UInt32(bytes[n - 4]) | UInt32(bytes[n - 3]) << 8 | UInt32(bytes[n - 2]) << 16 | UInt32(bytes[n - 1]) << 24
        guard isize == UInt32(truncatingIfNeeded: out.count) else { throw .corrupt }
        return out
    }
}
