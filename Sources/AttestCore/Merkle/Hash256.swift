import Crypto
import Foundation

/// A SHA-256 value (32 bytes).
///
/// The value is immutable and always holds exactly 32 bytes, stored inline (no heap allocation:
/// verification, proofs and appends create several per entry). Ordering is the lexicographic order
/// of the bytes (which is also the order of the lower-case hex strings).
public struct Hash256: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 bytes in memory order (four words as laid out in memory, not as numbers).
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64)

    /// The number of bytes in a SHA-256 value.
    public static let byteCount = 32

    /// The 32 bytes of the hash, in order (a new array: hot paths use ``withUnsafeBytes(_:)``).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The 32 bytes as `Data` (for database parameters).
    public var data: Data { withUnsafeBytes { Data($0) } }

    /// Calls `body` with the 32 bytes, in order.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage) { try body($0) }
    }

    /// Copies exactly 32 bytes from `raw` (the caller checked the count).
    @inlinable
    init(uncheckedRaw raw: UnsafeRawBufferPointer) {
        storage = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(32))) }
    }

    /// Creates a hash from exactly 32 bytes; returns `nil` for any other length.
    @inlinable
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Hash256.byteCount else { return nil }
        // Inlined into the caller, so `Data` and arrays are copied with one memcpy (a generic
        // element-by-element copy cost more than the rest of a proof).
        if let h = bytes.withContiguousStorageIfAvailable({ Hash256(uncheckedRaw: UnsafeRawBufferPointer($0)) }) {
            self = h
        } else {
            self = Array(bytes).withUnsafeBytes { Hash256(uncheckedRaw: $0) }
        }
    }

    /// Trusted initializer for values whose length has already been established.
    init(unchecked bytes: [UInt8]) {
        assert(bytes.count == Hash256.byteCount)
        self = bytes.withUnsafeBytes { Hash256(uncheckedRaw: $0) }
    }

    /// Parses exactly 64 hexadecimal digits (lower or upper case, no prefix, no whitespace).
    /// Returns `nil` for any other input.
    public init?(hex: some StringProtocol) {
        var text = String(hex)
        guard let h = text.withUTF8({ Hash256(hexDigits: UnsafeRawBufferPointer($0), upperCase: true) }) else { return nil }
        self = h
    }

    /// Parses exactly 64 hex digits from raw bytes: lower case only unless `upperCase`. No
    /// allocation: verifiers read every `prev` and `hash` this way.
    public init?(hexDigits p: UnsafeRawBufferPointer, upperCase: Bool = false) {
        guard p.count == 2 * Hash256.byteCount else { return nil }
        var value: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        // Branch-free per digit, one check at the end: '0'-'9' are 0x30-0x39, 'a'-'f' 0x61-0x66
        // ('A'-'F' 0x41-0x46 when allowed); the value of a letter is its low nibble + 9.
        var bad: UInt8 = 0
        Swift.withUnsafeMutableBytes(of: &value) { out in
            for k in 0..<Hash256.byteCount {
                let h = p[2 * k]
                let l = p[2 * k + 1]
                bad |= Self.invalidHexDigit(h, upperCase) | Self.invalidHexDigit(l, upperCase)
                let hv = (h & 0x0F) &+ (h >> 6) &* 9
                let lv = (l & 0x0F) &+ (l >> 6) &* 9
                out[k] = hv << 4 | lv
            }
        }
        guard bad == 0 else { return nil }
        storage = value
    }

    /// 1 unless `c` is a hex digit (lower case, or either case when `upperCase`), else 0.
    @inline(__always)
    private static func invalidHexDigit(_ c: UInt8, _ upperCase: Bool) -> UInt8 {
        let digit = c &- 0x30 < 10
        let lower = c &- 0x61 < 6
        let upper = upperCase && c &- 0x41 < 6
        return (digit || lower || upper) ? 0 : 1
    }

    /// Parses standard (RFC 4648 §4, padded) base64 that decodes to exactly 32 bytes.
    /// Returns `nil` for malformed base64 or any other decoded length.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64), data.count == Hash256.byteCount else { return nil }
        self = data.withUnsafeBytes { Hash256(uncheckedRaw: $0) }
    }

    /// The 64-character lower-case hexadecimal encoding.
    public var hex: String {
        withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: 2 * Hash256.byteCount) { buffer in
                let digits: StaticString = "0123456789abcdef"
                digits.withUTF8Buffer { encode in
                    var position = 0
                    for byte in bytes {
                        buffer[position] = encode[Int(byte >> 4)]
                        buffer[position + 1] = encode[Int(byte & 0x0F)]
                        position += 2
                    }
                }
                return 2 * Hash256.byteCount
            }
        }
    }

    /// The standard padded base64 encoding (44 characters).
    public var base64: String {
        withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// The lower-case hex encoding (same as `hex`).
    public var description: String { hex }

    /// The value consisting of 32 zero bytes.
    public static let zero = Hash256(unchecked: [UInt8](repeating: 0, count: Hash256.byteCount))

    /// The plain SHA-256 digest of `data` (no domain-separation prefix).
    public static func sha256(_ data: some DataProtocol) -> Hash256 {
        Hash256(digest: SHA256.hash(data: data))
    }

    /// Wraps a finished SHA-256 digest.
    init(digest: SHA256.Digest) {
        self = digest.withUnsafeBytes { Hash256(uncheckedRaw: $0) }
    }

    public static func == (lhs: Hash256, rhs: Hash256) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1 && lhs.storage.2 == rhs.storage.2
            && lhs.storage.3 == rhs.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }

    /// Lexicographic byte order.
    public static func < (lhs: Hash256, rhs: Hash256) -> Bool {
        // The words hold bytes in memory order; as big-endian numbers they compare like the bytes.
        let a = (lhs.storage.0.bigEndian, lhs.storage.1.bigEndian, lhs.storage.2.bigEndian, lhs.storage.3.bigEndian)
        let b = (rhs.storage.0.bigEndian, rhs.storage.1.bigEndian, rhs.storage.2.bigEndian, rhs.storage.3.bigEndian)
        return a < b
    }
}
