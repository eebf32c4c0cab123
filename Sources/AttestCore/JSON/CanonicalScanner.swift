import Foundation

/// A one-pass check that bytes are already in RFC 8785 form, without building a ``JSONValue``.
///
/// Hand-written: no Swift library checks JCS form (they all parse into a tree, which is what this
/// avoids). It is the fast path of verification (``BundleVerifier``, the store verifier): a
/// verifier must check that every line is exactly its canonical serialization, and parsing it into
/// a dictionary tree and serializing it again cost most of the time.
///
/// The scanner is deliberately conservative: it answers "canonical, and here are the members"
/// only for inputs on which ``JSONParser`` with `limits` succeeds and whose
/// ``JSONValue/canonicalBytes`` equal the input, and it answers `nil` ("not sure") for anything
/// else, including much that is canonical: numbers other than integers of at most 15 digits,
/// object keys with escapes or non-ASCII bytes (Swift dictionaries match canonically equivalent
/// keys, so the tree path is the judge there), strings longer than the string limit, nesting
/// deeper than the depth limit. Callers then take the full parse, which accepts or names the
/// problem. Tests compare the two paths on mutated inputs (`CanonicalScannerTests`).
public enum CanonicalScanner {
    /// A member of an object: the byte ranges of its key (inside the quotes) and of its value.
    public struct Member: Sendable, Hashable {
        public var key: Range<Int>
        public var value: Range<Int>
        /// The nesting level of the object holding it: 1 for the top-level object.
        public var level: Int
    }

    /// Members of the objects at nesting levels up to `recordLevels`, in input order (an object's
    /// members are contiguous and follow its own member), or `nil` when the bytes are not
    /// certainly canonical. Ranges index `bytes` from 0.
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONParser.Limits = .ledger, recordLevels: Int = 2)
        -> [Member]?
    {
        var members: [Member] = []
        members.reserveCapacity(12)
        return scan(bytes, limits: limits, recordLevels: recordLevels, into: &members) ? members : nil
    }

    /// ``scan(_:limits:recordLevels:)`` into `members` (emptied first, its storage kept): a caller
    /// scanning many lines reuses one array. `false` when the bytes are not certainly canonical.
    public static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>,
        limits: JSONParser.Limits = .ledger,
        recordLevels: Int = 2,
        into members: inout [Member]
    ) -> Bool {
        members.removeAll(keepingCapacity: true)
        guard bytes.count <= limits.maxBytes else { return false }
        var s = Scan(p: bytes, limits: limits, recordLevels: recordLevels, members: members)
        members = []  // the scan holds the only reference, so appending does not copy
        let ok = s.value(depth: 0) && s.i == bytes.count
        members = s.members
        return ok
    }

    private struct Scan {
        let p: UnsafeBufferPointer<UInt8>
        let limits: JSONParser.Limits
        let recordLevels: Int
        var i = 0
        var members: [Member]

        init(p: UnsafeBufferPointer<UInt8>, limits: JSONParser.Limits, recordLevels: Int, members: [Member]) {
            self.p = p
            self.limits = limits
            self.recordLevels = recordLevels
            self.members = members
        }

        /// One value at nesting `depth` (the number of arrays and objects around it).
        mutating func value(depth: Int) -> Bool {
            guard i < p.count else { return false }
            switch p[i] {
            case 0x7B: return object(depth: depth + 1)
            case 0x5B: return array(depth: depth + 1)
            case 0x22: return string(key: false)
            case 0x74: return literal([0x74, 0x72, 0x75, 0x65])  // true
            case 0x66: return literal([0x66, 0x61, 0x6C, 0x73, 0x65])  // false
            case 0x6E: return literal([0x6E, 0x75, 0x6C, 0x6C])  // null
            case 0x2D, 0x30...0x39: return integer()
            default: return false
            }
        }

        mutating func literal(_ word: [UInt8]) -> Bool {
            guard p.count - i >= word.count else { return false }
            for k in 0..<word.count where p[i + k] != word[k] { return false }
            i += word.count
            return true
        }

        /// `-?(0|[1-9][0-9]{0,14})`, not `-0`, and no fraction or exponent: such an integer is its own
        /// canonical form (the parser keeps it as `.int`, which is written back digit for digit).
        mutating func integer() -> Bool {
            var k = i
            let negative = p[k] == 0x2D
            if negative { k += 1 }
            guard k < p.count, (0x30...0x39).contains(p[k]) else { return false }
            let first = k
            if p[k] == 0x30 {
                k += 1
                if negative { return false }  // -0 is written back as 0
            } else {
                while k < p.count, (0x30...0x39).contains(p[k]) { k += 1 }
            }
            guard k - first <= 15 else { return false }
            if k < p.count, p[k] == 0x2E || p[k] == 0x65 || p[k] == 0x45 || (0x30...0x39).contains(p[k]) { return false }
            i = k
            return true
        }

        /// A string at `i` (its opening quote) in canonical spelling; keys must be plain ASCII.
        mutating func string(key: Bool) -> Bool {
            let start = i + 1
            var k = start
            let raw = UnsafeRawPointer(p.baseAddress!)
            while k < p.count {
                // Eight plain bytes at a time (SWAR): no quote, backslash, control or non-ASCII byte.
                while k + 8 <= p.count {
                    let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: k, as: UInt64.self))
                    let high: UInt64 = 0x8080_8080_8080_8080
                    let quote = w ^ 0x2222_2222_2222_2222
                    let backslash = w ^ 0x5C5C_5C5C_5C5C_5C5C
                    let special =
                        ((quote &- 0x0101_0101_0101_0101) & ~quote) | ((backslash &- 0x0101_0101_0101_0101) & ~backslash)
                        | ((w &- 0x2020_2020_2020_2020) & ~w) | w
                    let found = special & high
                    if found != 0 {
                        // Borrows only run upwards, so the lowest flagged byte is the first special one:
                        // go straight to it instead of stepping byte by byte.
                        k += found.trailingZeroBitCount >> 3
                        break
                    }
                    k += 8
                }
                guard k < p.count else { break }
                let b = p[k]
                if b == 0x22 {
                    guard k - start <= limits.maxStringBytes else { return false }
                    i = k + 1
                    return true
                }
                if b < 0x20 { return false }
                if b == 0x5C {
                    if key { return false }
                    guard k + 1 < p.count else { return false }
                    switch p[k + 1] {
                    case 0x22, 0x5C, 0x62, 0x66, 0x6E, 0x72, 0x74:  // \" \\ \b \f \n \r \t
                        k += 2
                    case 0x75:  // \u00xx, lowercase, only for control characters without a short form
                        guard k + 5 < p.count, p[k + 2] == 0x30, p[k + 3] == 0x30, p[k + 4] == 0x30 || p[k + 4] == 0x31 else { return false }
                        let low = p[k + 5]
                        let nibble: UInt8
                        switch low {
                        case 0x30...0x39: nibble = low - 0x30
                        case 0x61...0x66: nibble = low - 0x61 + 10
                        default: return false
                        }
                        let code = (p[k + 4] - 0x30) << 4 | nibble
                        if code == 0x08 || code == 0x09 || code == 0x0A || code == 0x0C || code == 0x0D { return false }
                        k += 6
                    default:
                        return false
                    }
                    continue
                }
                if b < 0x80 {
                    k += 1
                    continue
                }
                if key { return false }
                guard let next = Self.utf8Sequence(p, at: k) else { return false }
                k = next
            }
            return false
        }

        /// The end of the well-formed UTF-8 sequence at `k` (Unicode Table 3-7), or `nil`.
        static func utf8Sequence(_ p: UnsafeBufferPointer<UInt8>, at k: Int) -> Int? {
            let lead = p[k]
            var length = 3
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: break
            case 0xED: second = 0x80...0x9F
            case 0xF0:
                length = 4
                second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                second = 0x80...0x8F
            default: return nil
            }
            guard k + length <= p.count, second.contains(p[k + 1]) else { return nil }
            for j in (k + 2)..<(k + length) where p[j] & 0xC0 != 0x80 { return nil }
            return k + length
        }

        mutating func array(depth: Int) -> Bool {
            guard depth <= limits.maxDepth else { return false }
            i += 1
            if i < p.count, p[i] == 0x5D {
                i += 1
                return true
            }
            while true {
                guard value(depth: depth) else { return false }
                guard i < p.count else { return false }
                if p[i] == 0x2C {
                    i += 1
                    continue
                }
                if p[i] == 0x5D {
                    i += 1
                    return true
                }
                return false
            }
        }

        /// Keys in strictly increasing byte order (which for ASCII keys is RFC 8785's UTF-16 order, and
        /// rules out duplicates).
        mutating func object(depth: Int) -> Bool {
            guard depth <= limits.maxDepth else { return false }
            i += 1
            if i < p.count, p[i] == 0x7D {
                i += 1
                return true
            }
            let record = depth <= recordLevels
            var previous: Range<Int>?
            while true {
                guard i < p.count, p[i] == 0x22 else { return false }
                let keyStart = i + 1
                guard string(key: true) else { return false }
                let key = keyStart..<(i - 1)
                if let previous, !Self.precedes(p, previous, key) { return false }
                previous = key
                guard i < p.count, p[i] == 0x3A else { return false }
                i += 1
                let valueStart = i
                let slot = members.count
                if record { members.append(Member(key: key, value: valueStart..<valueStart, level: depth)) }
                guard value(depth: depth) else { return false }
                if record { members[slot].value = valueStart..<i }
                guard i < p.count else { return false }
                if p[i] == 0x2C {
                    i += 1
                    continue
                }
                if p[i] == 0x7D {
                    i += 1
                    return true
                }
                return false
            }
        }

        /// Whether key `a` sorts strictly before key `b` (bytewise; both ASCII).
        static func precedes(_ p: UnsafeBufferPointer<UInt8>, _ a: Range<Int>, _ b: Range<Int>) -> Bool {
            var x = a.lowerBound
            var y = b.lowerBound
            while x < a.upperBound && y < b.upperBound {
                if p[x] != p[y] { return p[x] < p[y] }
                x += 1
                y += 1
            }
            return a.count < b.count
        }
    }
}

extension LedgerEntry {
    /// The chain fields of a stored entry (its canonical bytes), read without a ``JSONValue`` when
    /// ``CanonicalScanner`` is sure the bytes are canonical and the entry is an ordinary one (not a
    /// key rotation); `nil` means: parse it fully (``init(parsing:)``), which accepts it or names
    /// the problem.
    public static func chainFields(canonical bytes: [UInt8]) -> (seq: UInt64, origin: String, prev: Hash256)? {
        bytes.withUnsafeBufferPointer { p in
            guard let members = CanonicalScanner.scan(p, recordLevels: 2), let f = scanned(p, members: members[...]) else { return nil }
            return (f.seq, String(decoding: UnsafeBufferPointer(rebasing: p[f.origin]), as: UTF8.self), f.prev)
        }
    }

    /// What the chain needs from an entry whose bytes ``CanonicalScanner`` found canonical, read from
    /// its members (`members`: those of the entry object and, after its "event", those of the event, in
    /// order), or `nil` when anything is unusual (the full parse then decides): exactly the six
    /// members of FORMAT §3, an object event, a log name and timestamp without escapes, and an event
    /// that is not a key rotation. `origin` is the byte range of the log name (inside its quotes).
    /// Allocates nothing: verifiers call it for every entry.
    static func scanned(_ p: UnsafeBufferPointer<UInt8>, members: ArraySlice<CanonicalScanner.Member>) -> (
        seq: UInt64, origin: Range<Int>, prev: Hash256
    )? {
        guard let m = entryMembers(p, members: members), let prev = Hash256(hexDigits: p.raw(m.prev)) else { return nil }
        let (origin, seqRange, version, eventIndex, level) = (m.log, m.seq, m.version, m.eventIndex, m.level)
        guard p[seqRange.lowerBound] != 0x2D, version.count == 1, p[version.lowerBound] == 0x31 else { return nil }
        var seq: UInt64 = 0
        for k in seqRange {
            guard (0x30...0x39).contains(p[k]) else { return nil }
            seq = seq * 10 + UInt64(p[k] - 0x30)
        }
        // A key rotation entry changes the key: the full parse reads it (KeyRotation). The event's members
        // follow the "event" member (one level deeper); an "action" that is not plain ASCII also goes to the
        // full parse, since Swift compares strings by canonical equivalence.
        var k = eventIndex + 1
        while k < members.endIndex, members[k].level == level + 1 {
            let member = members[k]
            if member.key.count == 6, p[member.key].elementsEqual("action".utf8) {
                let v = member.value
                guard v.count >= 2, p[v.lowerBound] == 0x22 else { break }
                let text = p[(v.lowerBound + 1)..<(v.upperBound - 1)]
                if text.contains(where: { $0 >= 0x80 || $0 == 0x5C }) || text.elementsEqual(KeyRotation.action.utf8) { return nil }
                break
            }
            k += 1
        }
        return (seq, origin, prev)
    }
    /// The six members of a stored entry found canonical by ``CanonicalScanner`` (`members`: those of
    /// the entry object, possibly followed by deeper ones), in the only order RFC 8785 allows (event,
    /// log, prev, received_at, seq, v), or `nil` when anything is unusual: another member, an event
    /// that is not an object, a log name, `prev` or timestamp with escapes, or a timestamp not in
    /// its one spelling. String ranges are inside the quotes. Allocates nothing.
    static func entryMembers(_ p: UnsafeBufferPointer<UInt8>, members: ArraySlice<CanonicalScanner.Member>) -> (
        event: Range<Int>, log: Range<Int>, prev: Range<Int>, receivedAt: Range<Int>, seq: Range<Int>, version: Range<Int>,
        eventIndex: Int, level: Int
    )? {
        guard let level = members.first?.level else { return nil }
        var event = 0..<0
        var log = 0..<0
        var prevValue = 0..<0
        var time = 0..<0
        var seqRange = 0..<0
        var version = 0..<0
        var found = 0
        var eventIndex = members.startIndex
        for k in members.indices where members[k].level == level {
            let m = members[k]
            func isKey(_ name: StaticString) -> Bool {
                m.key.count == name.utf8CodeUnitCount
                    && name.withUTF8Buffer { n in memcmp(p.baseAddress! + m.key.lowerBound, n.baseAddress!, n.count) == 0 }
            }
            switch found {
            case 0:
                guard isKey("event") else { return nil }
                event = m.value
                eventIndex = k
            case 1:
                guard isKey("log") else { return nil }
                log = m.value
            case 2:
                guard isKey("prev") else { return nil }
                prevValue = m.value
            case 3:
                guard isKey("received_at") else { return nil }
                time = m.value
            case 4:
                guard isKey("seq") else { return nil }
                seqRange = m.value
            case 5:
                guard isKey("v") else { return nil }
                version = m.value
            default:
                return nil
            }
            found += 1
        }
        guard found == 6 else { return nil }
        /// The inside of a string value without escapes.
        func plain(_ r: Range<Int>) -> Range<Int>? {
            guard r.count >= 2, p[r.lowerBound] == 0x22 else { return nil }
            let inside = (r.lowerBound + 1)..<(r.upperBound - 1)
            guard memchr(p.baseAddress! + inside.lowerBound, 0x5C, inside.count) == nil else { return nil }
            return inside
        }
        guard p[event.lowerBound] == 0x7B, let origin = plain(log), let prevHex = plain(prevValue), let ts = plain(time),
            Timestamp.isCanonical(p.raw(ts))
        else { return nil }
        return (event, origin, prevHex, ts, seqRange, version, eventIndex, level)
    }

    /// What a reader of a stored entry sends on, found without a ``JSONValue``: the byte ranges of
    /// its event (an object, canonical as stored) and of its `received_at` text (inside the
    /// quotes), or `nil` when ``CanonicalScanner`` is not sure the entry is canonical or its members
    /// are unusual; then parse it fully (``init(parsing:)``), which reads it or names the problem.
    /// The event of a canonical entry is its own canonical serialization, so sending those bytes
    /// on equals parsing and serializing it again.
    public static func readableParts(canonical p: UnsafeBufferPointer<UInt8>) -> (event: Range<Int>, receivedAt: Range<Int>)? {
        // The checks of init(parsing:) that entryMembers leaves to its callers: `v` is 1, `seq` is not
        // negative (the scanner took it as an integer), `prev` is 64 lower-case hex digits.
        guard let members = CanonicalScanner.scan(p, recordLevels: 1), let m = entryMembers(p, members: members[...]),
            m.version.count == 1, p[m.version.lowerBound] == 0x31, p[m.seq.lowerBound] != 0x2D, Hash256(hexDigits: p.raw(m.prev)) != nil
        else { return nil }
        return (m.event, m.receivedAt)
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The bytes at `range`, as raw bytes.
    func raw(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: self[range]))
    }
}
