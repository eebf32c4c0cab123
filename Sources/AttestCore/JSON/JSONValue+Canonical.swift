// RFC 8785 JSON Canonicalization Scheme (JCS) serialization.

extension JSONValue {
    /// The RFC 8785 canonical UTF-8 encoding of `self`: no whitespace, object members sorted by the UTF-16 code
    /// units of their keys, strings escaped as ECMAScript `JSON.stringify` does, numbers formatted as ECMAScript
    /// `Number.prototype.toString`. Equal inputs (per RFC 8785) always give identical bytes.
    ///
    /// - `.int` within ±2^53 is written as plain decimal. An `.int` outside that range (never produced by
    ///   ``JSONParser``, only constructible in code) is written as JCS requires for any number: as the ECMAScript
    ///   form of the nearest double, e.g. `.int(Int64.max)` → `9223372036854775807` rounds to
    ///   `9223372036854776000`. Such values therefore lose precision; keep integers within I-JSON range.
    /// - Precondition: every `.double` is finite. ``JSONParser`` never produces NaN or ±infinity; a non-finite
    ///   double built in code has no JSON representation and stops the program with `preconditionFailure`.
    public var canonicalBytes: [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256)
        writeCanonical(into: &buffer)
        return buffer
    }

    /// ``canonicalBytes`` decoded as a `String` (same preconditions).
    public var canonicalString: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }

    /// Appends the RFC 8785 canonical encoding of the string whose UTF-8 is `utf8` (valid UTF-8,
    /// e.g. a string as decoded by ``JSONParser``): the bytes `.string(s).writeCanonical` writes.
    public static func writeCanonicalString(utf8: UnsafeBufferPointer<UInt8>, into buffer: inout [UInt8]) {
        JCS.appendString(utf8: utf8, into: &buffer)
    }

    /// Appends the RFC 8785 canonical encoding of `self` (see ``canonicalBytes``) to `buffer`.
    public func writeCanonical(into buffer: inout [UInt8]) {
        switch self {
        case .null:
            buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
        case .bool(true):
            buffer.append(contentsOf: [0x74, 0x72, 0x75, 0x65])  // true
        case .bool(false):
            buffer.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])  // false
        case .int(let value):
            if value.magnitude <= 1 << 53 {
                if value < 0 { buffer.append(JCS.minus) }
                JCS.appendDecimal(value.magnitude, into: &buffer)
            } else {
                JCS.appendNumber(Double(value), into: &buffer)
            }
        case .double(let value):
            JCS.appendNumber(value, into: &buffer)
        case .string(let value):
            JCS.appendString(value, into: &buffer)
        case .array(let elements):
            buffer.append(0x5B)  // [
            var first = true
            for element in elements {
                if !first { buffer.append(JCS.comma) }
                first = false
                element.writeCanonical(into: &buffer)
            }
            buffer.append(0x5D)  // ]
        case .object(let members):
            buffer.append(0x7B)  // {
            if members.count == 1, let (key, value) = members.first {
                JCS.appendString(key, into: &buffer)
                buffer.append(JCS.colon)
                value.writeCanonical(into: &buffer)
            } else if !members.isEmpty {
                let sorted = members.sorted { JCS.precedesInUTF16Order($0.key, $1.key) }
                var first = true
                for (key, value) in sorted {
                    if !first { buffer.append(JCS.comma) }
                    first = false
                    JCS.appendString(key, into: &buffer)
                    buffer.append(JCS.colon)
                    value.writeCanonical(into: &buffer)
                }
            }
            buffer.append(0x7D)  // }
        }
    }
}

/// Building blocks of the canonical serializer (internal so tests can exercise them directly).
enum JCS {
    static let minus: UInt8 = 0x2D
    static let comma: UInt8 = 0x2C
    static let colon: UInt8 = 0x3A
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let zero: UInt8 = 0x30
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `true` when `a` sorts before `b` by UTF-16 code units, computed in one pass over the UTF-8 bytes.
    ///
    /// UTF-8 byte order equals code point order, and code point order equals UTF-16 code unit order except when a
    /// supplementary character (U+10000…, UTF-16 surrogates D800–DBFF, UTF-8 lead byte F0–F4) meets a character in
    /// U+E000–U+FFFF (UTF-8 lead byte EE or EF): in UTF-16 the supplementary character sorts first. Because equal
    /// prefixes end on a character boundary whenever the first differing bytes are lead bytes, checking that one
    /// pair of bytes is enough. ASCII-only keys thus compare bytewise.
    static func precedesInUTF16Order(_ a: String, _ b: String) -> Bool {
        // Native strings (all that the parsers and the mappers make) compare on their contiguous
        // bytes; the iterators below cost about three times as much (a profile of OTLP ingest
        // spent 1.8% of the server's CPU here, sorting members for this serializer).
        if let order = a.utf8.withContiguousStorageIfAvailable({ x in
            b.utf8.withContiguousStorageIfAvailable { y in precedesInUTF16Order(x, y) }
        }), let order {
            return order
        }
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            guard let x = left.next() else { return right.next() != nil }
            guard let y = right.next() else { return false }
            if x == y { continue }
            if x >= 0xF0 && (y == 0xEE || y == 0xEF) { return true }
            if y >= 0xF0 && (x == 0xEE || x == 0xEF) { return false }
            return x < y
        }
    }

    /// ``precedesInUTF16Order(_:_:)`` on UTF-8 bytes.
    static func precedesInUTF16Order(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = min(x.count, y.count)
        var k = 0
        while k < n && x[k] == y[k] { k += 1 }
        guard k < n else { return x.count < y.count }
        let (p, q) = (x[k], y[k])
        if p >= 0xF0 && (q == 0xEE || q == 0xEF) { return true }
        if q >= 0xF0 && (p == 0xEE || p == 0xEF) { return false }
        return p < q
    }

    /// Appends `string` as a JSON string literal escaped like ECMAScript `JSON.stringify` (well-formed variant):
    /// `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other U+0000–U+001F as lowercase `\u00xx`, everything else as
    /// literal UTF-8 (Swift strings never contain lone surrogates).
    static func appendString(_ string: String, into buffer: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(utf8: $0, into: &buffer) }
    }

    /// ``appendString(_:into:)`` on the string's UTF-8 bytes.
    static func appendString(utf8 bytes: UnsafeBufferPointer<UInt8>, into buffer: inout [UInt8]) {
        buffer.append(quote)
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            // Eight bytes at a time while none needs an escape (most strings have none at all).
            if index + 8 <= count {
                let word = UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
                let flags = escapeFlags(word)
                if flags == 0 {
                    index += 8
                    continue
                }
                // Straight to the first byte that needs an escape (the lowest flagged byte: borrows
                // only run upwards), not byte by byte with the word read again after each.
                index += flags.trailingZeroBitCount >> 3
            }
            let byte = bytes[index]
            if byte >= 0x20 && byte != quote && byte != backslash {
                index += 1
                continue
            }
            if runStart < index { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            buffer.append(backslash)
            switch byte {
            case quote: buffer.append(quote)
            case backslash: buffer.append(backslash)
            case 0x08: buffer.append(0x62)  // b
            case 0x0C: buffer.append(0x66)  // f
            case 0x0A: buffer.append(0x6E)  // n
            case 0x0D: buffer.append(0x72)  // r
            case 0x09: buffer.append(0x74)  // t
            default:
                buffer.append(contentsOf: [0x75, zero, zero, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            }
            runStart = index + 1
            index += 1
        }
        if runStart < bytes.count { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        buffer.append(quote)
    }

    /// The high bit of each byte of `word` (little-endian: the first byte lowest) that is a quote,
    /// a backslash or a control character (below 0x20), exact for the lowest flagged byte (a
    /// borrow can flag a byte above a flagged one, never below). Bytes of 0x80 and above (UTF-8
    /// beyond ASCII) are written as they are, so they are masked out of every test.
    @inline(__always)
    static func escapeFlags(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let ascii = ~word & high  // the high bit of each byte below 0x80
        let q = word ^ (ones &* 0x22)
        let s = word ^ (ones &* 0x5C)
        // Per byte: the high bit is set where the byte (below 0x80) is zero after the XOR, or below 0x20.
        let zeroQuote = (q &- ones) & ~q
        let zeroSlash = (s &- ones) & ~s
        let control = word &- (ones &* 0x20)
        return (zeroQuote | zeroSlash | control) & ascii
    }

    /// Appends the decimal digits of `value` (no sign, no leading zeros).
    static func appendDecimal(_ value: UInt64, into buffer: inout [UInt8]) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            buffer.append(zero + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Appends `value` formatted as ECMAScript `Number::toString(value)` (ECMA-262 §6.1.6.1.20): the shortest
    /// digits that round-trip, plain notation when 1e-7 ≤ |value| < 1e21 and exponent notation otherwise; `-0` is
    /// written as `0`. Precondition: `value.isFinite`.
    static func appendNumber(_ value: Double, into buffer: inout [UInt8]) {
        guard value.isFinite else {
            preconditionFailure("JSONValue: cannot canonicalize non-finite double \(value); JSON has no NaN or Infinity")
        }
        if value == 0 {
            buffer.append(zero)  // also -0
            return
        }
        if value < 0 { buffer.append(minus) }
        let magnitude = value.magnitude
        if magnitude < 9_007_199_254_740_992, magnitude.rounded(.towardZero) == magnitude {
            appendDecimal(UInt64(magnitude), into: &buffer)
            return
        }
        // Swift's description yields the shortest round-trip digits (closest to the value), e.g. "1.5e-07",
        // "123.45", "1e+16", "5e-324"; take its digits and decimal exponent and lay them out the ECMAScript way.
        let text = magnitude.description
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digits in
            var count = 0
            var pointPosition = -1
            var exponent = 0
            var exponentNegative = false
            var inExponent = false
            for byte in text.utf8 {
                switch byte {
                case 0x2E:  // .
                    pointPosition = count
                case 0x65, 0x45:  // e, E
                    inExponent = true
                case 0x2D:  // -
                    exponentNegative = true
                case 0x2B:  // +
                    break
                default:
                    if inExponent {
                        exponent = exponent * 10 + Int(byte - zero)
                    } else {
                        digits[count] = byte
                        count += 1
                    }
                }
            }
            if pointPosition < 0 { pointPosition = count }
            // value = 0.d1d2...dk × 10^n, with d1 ≠ 0 after stripping leading zeros.
            var n = pointPosition + (exponentNegative ? -exponent : exponent)
            var first = 0
            while first < count - 1 && digits[first] == zero {
                first += 1
                n -= 1
            }
            var last = count
            while last > first + 1 && digits[last - 1] == zero { last -= 1 }
            let k = last - first
            let significand = UnsafeBufferPointer(rebasing: digits[first..<last])

            if k <= n && n <= 21 {
                buffer.append(contentsOf: significand)
                buffer.append(contentsOf: repeatElement(zero, count: n - k))
            } else if 0 < n && n <= 21 {
                buffer.append(contentsOf: significand[..<n])
                buffer.append(0x2E)
                buffer.append(contentsOf: significand[n...])
            } else if -6 < n && n <= 0 {
                buffer.append(zero)
                buffer.append(0x2E)
                buffer.append(contentsOf: repeatElement(zero, count: -n))
                buffer.append(contentsOf: significand)
            } else {
                buffer.append(significand[0])
                if k > 1 {
                    buffer.append(0x2E)
                    buffer.append(contentsOf: significand[1...])
                }
                buffer.append(0x65)  // e
                let e = n - 1
                buffer.append(e < 0 ? minus : 0x2B)
                appendDecimal(UInt64(e.magnitude), into: &buffer)
            }
        }
    }
}
