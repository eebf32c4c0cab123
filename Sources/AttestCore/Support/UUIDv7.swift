/// RFC 9562 UUID version 7: a 48-bit Unix millisecond timestamp, then random bits.
///
/// Used for server-assigned event IDs, so IDs sort roughly by time.
public enum UUIDv7 {
    /// A new UUIDv7 in lower-case 8-4-4-4-12 form.
    public static func make(at time: Timestamp = .now()) -> String {
        var rng = SystemRandomNumberGenerator()
        return make(at: time, using: &rng)
    }

    /// A UUIDv7 for `time` drawing random bits from `rng`.
    public static func make(at time: Timestamp, using rng: inout some RandomNumberGenerator) -> String {
        let ms = UInt64(max(0, time.microseconds / 1000)) & 0xFFFF_FFFF_FFFF
        let r1 = rng.next() as UInt64
        let r2 = rng.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        for k in 0..<6 { bytes[k] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(k))) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: r1 & 0x0F)
        bytes[7] = UInt8(truncatingIfNeeded: r1 >> 8)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: (r1 >> 16) & 0x3F)
        for k in 9..<16 { bytes[k] = UInt8(truncatingIfNeeded: r2 >> (8 * UInt64(k - 9))) }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (k, b) in bytes.enumerated() {
            if k == 4 || k == 6 || k == 8 || k == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
