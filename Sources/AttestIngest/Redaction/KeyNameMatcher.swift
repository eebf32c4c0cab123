/// Decides whether a member name is sensitive under a policy's ``RedactionPolicy/sensitiveKeys`` and
/// ``RedactionPolicy/sensitiveSuffixes`` (both normalized once, here).
///
/// Most member names of an event are already normalized (`snake_case`), and most end with a letter that no sensitive
/// name ends with; both facts are used to avoid allocating or hashing on the common path.
struct KeyNameMatcher: Sendable {
    private let names: Set<String>
    private let suffixes: [[UInt8]]
    /// The possible last bytes of a sensitive normalized name, as a 256-bit set.
    private let lastBytes: (UInt64, UInt64, UInt64, UInt64)
    /// A one-hash Bloom filter of ``names``: the bytes ``bloomByte(_:)`` of their FNV-1a hashes, as a 256-bit set.
    private let nameHashes: (UInt64, UInt64, UInt64, UInt64)
    /// The length of the shortest sensitive name or suffix.
    private let minimumLength: Int

    init(names: Set<String>, suffixes: Set<String>) {
        let names = Set(names.map(Self.normalized).filter { !$0.isEmpty })
        let suffixes = suffixes.map { Array(Self.normalized($0).utf8) }.filter { !$0.isEmpty }
        var lastBytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var nameHashes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for name in names {
            Self.insert(Self.bloomByte(name.utf8.reduce(Self.fnvOffset, Self.fnv)), into: &nameHashes)
        }
        var minimumLength = Int.max
        for bytes in names.map({ Array($0.utf8) }) + suffixes {
            Self.insert(bytes[bytes.count - 1], into: &lastBytes)
            minimumLength = min(minimumLength, bytes.count)
        }
        self.names = names
        self.suffixes = suffixes
        self.lastBytes = lastBytes
        self.nameHashes = nameHashes
        self.minimumLength = minimumLength
    }

    /// `true` when `name`, normalized, is one of the sensitive names or ends with one of the sensitive suffixes.
    func matches(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { matches(utf8: $0) }
    }

    /// ``matches(_:)`` on a name's UTF-8 bytes (the ingest byte path's keys, read in place): a
    /// `String` is made only for a name that is not normalized or that passes the Bloom filter.
    func matches(utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        // Normalization never shortens a name and maps its last byte on its own.
        guard utf8.count >= minimumLength, let last = utf8.last, Self.contains(Self.normalized(last), in: lastBytes) else {
            return false
        }
        // One pass hashes the name and finds out whether it is already normalized (the common case), so that the
        // set is only consulted when the Bloom filter lets the name through.
        var hash = Self.fnvOffset
        var isNormalized = true
        for byte in utf8 {
            if Self.isUpper(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: " ") {
                isNormalized = false
                break
            }
            hash = Self.fnv(hash, byte)
        }
        if isNormalized {
            if Self.contains(Self.bloomByte(hash), in: nameHashes) && names.contains(String(decoding: utf8, as: UTF8.self)) {
                return true
            }
            return hasSuffix(utf8)
        }
        var normalized = Self.normalized(String(decoding: utf8, as: UTF8.self))
        if names.contains(normalized) { return true }
        return normalized.withUTF8 { hasSuffix($0) }
    }

    /// Whether a normalized name ends with one of the sensitive suffixes.
    private func hasSuffix(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        suffixes.contains { suffix in
            bytes.count >= suffix.count && UnsafeBufferPointer(rebasing: bytes[(bytes.count - suffix.count)...]).elementsEqual(suffix)
        }
    }

    /// See ``RedactionPolicy/normalizedKeyName(_:)``.
    static func normalized(_ name: String) -> String {
        guard !isNormalized(name) else { return name }
        let input = Array(name.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(input.count + 4)
        for (k, byte) in input.enumerated() {
            if isUpper(byte), k > 0 {
                let previous = input[k - 1]
                let nextIsLower = k + 1 < input.count && isLower(input[k + 1])
                if isLower(previous) || isDigit(previous) || (isUpper(previous) && nextIsLower) {
                    output.append(UInt8(ascii: "_"))
                }
            }
            output.append(normalized(byte))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `true` when normalization leaves `name` unchanged (no upper-case ASCII letter, `-` or space).
    private static func isNormalized(_ name: String) -> Bool {
        !name.utf8.contains { isUpper($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: " ") }
    }

    /// One byte, normalized on its own: upper-case ASCII lower-cased, `-` and space turned into `_`.
    private static func normalized(_ byte: UInt8) -> UInt8 {
        if isUpper(byte) { return byte | 0x20 }
        if byte == UInt8(ascii: "-") || byte == UInt8(ascii: " ") { return UInt8(ascii: "_") }
        return byte
    }

    private static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325

    /// One step of FNV-1a (64 bits).
    private static func fnv(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    /// The byte of a hash that the Bloom filter uses (its high bits after a final multiplicative mix).
    private static func bloomByte(_ hash: UInt64) -> UInt8 {
        UInt8(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> 56)
    }

    private static func isUpper(_ b: UInt8) -> Bool { b &- UInt8(ascii: "A") < 26 }
    private static func isLower(_ b: UInt8) -> Bool { b &- UInt8(ascii: "a") < 26 }
    private static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    private static func insert(_ byte: UInt8, into set: inout (UInt64, UInt64, UInt64, UInt64)) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: set.0 |= bit
        case 1: set.1 |= bit
        case 2: set.2 |= bit
        default: set.3 |= bit
        }
    }

    private static func contains(_ byte: UInt8, in set: (UInt64, UInt64, UInt64, UInt64)) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return set.0 & bit != 0
        case 1: return set.1 & bit != 0
        case 2: return set.2 & bit != 0
        default: return set.3 & bit != 0
        }
    }
}
