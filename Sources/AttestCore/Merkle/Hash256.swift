import Crypto
import Foundation

/// A SHA-256 value (32 bytes).
///
/// The value is immutable and always holds exactly 32 bytes. Ordering is the lexicographic order of
/// the bytes (which is also the order of the lower-case hex strings).
public struct Hash256: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 bytes of the hash, in order. Always exactly 32 elements.
    public let bytes: [UInt8]

    /// The number of bytes in a SHA-256 value.
    public static let byteCount = 32

    /// Creates a hash from exactly 32 bytes; returns `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Hash256.byteCount else { return nil }
        self.bytes = Array(bytes)
    }

    /// Trusted initializer for values whose length has already been established.
    init(unchecked bytes: [UInt8]) {
        assert(bytes.count == Hash256.byteCount)
        self.bytes = bytes
    }

    /// Parses exactly 64 hexadecimal digits (lower or upper case, no prefix, no whitespace).
    /// Returns `nil` for any other input.
    public init?(hex: some StringProtocol) {
        let utf8 = hex.utf8
        guard utf8.count == 2 * Hash256.byteCount else { return nil }
        var out = [UInt8](repeating: 0, count: Hash256.byteCount)
        var high: UInt8 = 0
        var position = 0
        for char in utf8 {
            let nibble = HexTables.decode[Int(char)]
            guard nibble != HexTables.invalid else { return nil }
            if position & 1 == 0 {
                high = nibble << 4
            } else {
                out[position >> 1] = high | nibble
            }
            position += 1
        }
        self.bytes = out
    }

    /// Parses standard (RFC 4648 §4, padded) base64 that decodes to exactly 32 bytes.
    /// Returns `nil` for malformed base64 or any other decoded length.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64), data.count == Hash256.byteCount else { return nil }
        self.bytes = Array(data)
    }

    /// The 64-character lower-case hexadecimal encoding.
    public var hex: String {
        String(unsafeUninitializedCapacity: 2 * Hash256.byteCount) { buffer in
            var position = 0
            for byte in bytes {
                buffer[position] = HexTables.encode[Int(byte >> 4)]
                buffer[position + 1] = HexTables.encode[Int(byte & 0x0F)]
                position += 2
            }
            return position
        }
    }

    /// The standard padded base64 encoding (44 characters).
    public var base64: String {
        Data(bytes).base64EncodedString()
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
        self.init(unchecked: digest.withUnsafeBytes { Array($0) })
    }

    /// Lexicographic byte order.
    public static func < (lhs: Hash256, rhs: Hash256) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// Lookup tables for hex encoding and decoding.
private enum HexTables {
    static let invalid: UInt8 = 0xFF

    static let encode: [UInt8] = Array("0123456789abcdef".utf8)

    static let decode: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, char) in "0123456789abcdef".utf8.enumerated() {
            table[Int(char)] = UInt8(value)
        }
        for (value, char) in "ABCDEF".utf8.enumerated() {
            table[Int(char)] = UInt8(value + 10)
        }
        return table
    }()
}
