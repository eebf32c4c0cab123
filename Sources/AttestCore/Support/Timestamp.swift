/// A UTC instant with microsecond precision, written as RFC 3339 (`2026-11-23T08:15:30.123456Z`).
///
/// Hand-written (no Foundation formatters): the ledger format needs one exact spelling, and the
/// conversion runs once per appended event.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// The current time from the system clock.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    /// Earliest and latest instants that have a four-digit year.
    static let minMicros: Int64 = -62_135_596_800_000_000  // 0001-01-01T00:00:00Z
    static let maxMicros: Int64 = 253_402_300_799_999_999  // 9999-12-31T23:59:59.999999Z

    /// RFC 3339 in UTC with exactly six fractional digits and `Z`.
    public var description: String { rfc3339 }

    /// RFC 3339 in UTC with exactly six fractional digits and `Z`.
    public var rfc3339: String {
        var secs = microseconds / 1_000_000
        var micros = microseconds % 1_000_000
        if micros < 0 {
            micros += 1_000_000
            secs -= 1
        }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = Self.civil(fromDays: days)
        var out = [UInt8]()
        out.reserveCapacity(27)
        // Digits are written in place (an array per field had made this a visible cost of every
        // ingested event and every stored entry).
        func put(_ v: Int64, _ width: Int) {
            let start = out.count
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
            var x = v
            var i = start + width - 1
            while i >= start {
                out[i] = UInt8(ascii: "0") + UInt8(x % 10)
                x /= 10
                i -= 1
            }
        }
        put(y, 4)
        out.append(UInt8(ascii: "-"))
        put(m, 2)
        out.append(UInt8(ascii: "-"))
        put(d, 2)
        out.append(UInt8(ascii: "T"))
        put(rem / 3600, 2)
        out.append(UInt8(ascii: ":"))
        put(rem / 60 % 60, 2)
        out.append(UInt8(ascii: ":"))
        put(rem % 60, 2)
        out.append(UInt8(ascii: "."))
        put(micros, 6)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` is exactly the ``rfc3339`` spelling of some timestamp, i.e. whether
    /// `Timestamp(rfc3339: text)?.rfc3339 == text`, checked on the bytes without allocating
    /// (verifiers check every entry's `received_at`).
    public static func isCanonical(_ text: UnsafeRawBufferPointer) -> Bool {
        // YYYY-MM-DDTHH:MM:SS.ffffffZ
        guard text.count == 27, text[4] == 0x2D, text[7] == 0x2D, text[10] == 0x54, text[13] == 0x3A, text[16] == 0x3A,
            text[19] == 0x2E, text[26] == 0x5A
        else { return false }
        func number(_ from: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for k in from..<(from + count) {
                let c = text[k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
            }
            return v
        }
        guard let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2), let h = number(11, 2), let mi = number(14, 2),
            let s = number(17, 2), number(20, 6) != nil
        else { return false }
        return y >= 1 && (1...12).contains(mo) && d >= 1 && d <= daysInMonth(y, mo) && h < 24 && mi < 60 && s < 60
    }

    /// Parses RFC 3339 `date-time` (e.g. `2026-11-23T08:15:30Z`, `2026-11-23T10:15:30.5+02:00`).
    ///
    /// Fractions beyond microseconds are truncated. Leap seconds (`:60`) are refused. Returns nil on
    /// anything else, so callers can name the field in their error.
    public init?(rfc3339 text: some StringProtocol) {
        let b = Array(text.utf8)
        var i = 0
        func num(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += n
            return v
        }
        func lit(_ chars: UInt8...) -> Bool {
            guard i < b.count, chars.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let y = num(4), lit(45), let mo = num(2), lit(45), let d = num(2), lit(84, 116),
            let h = num(2), lit(58), let mi = num(2), lit(58), let s = num(2)
        else { return nil }
        guard y >= 1, (1...12).contains(mo), d >= 1, d <= Self.daysInMonth(y, mo), h < 24, mi < 60, s < 60 else {
            return nil
        }
        var micros: Int64 = 0
        if i < b.count, b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 6)..<6 { micros *= 10 }
        }
        var offset: Int64 = 0
        if lit(90, 122) {
            offset = 0
        } else if i < b.count, b[i] == 43 || b[i] == 45 {
            let sign: Int64 = b[i] == 45 ? -1 : 1
            i += 1
            guard let oh = num(2), lit(58), let om = num(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Self.days(fromCivil: y, mo, d)
        let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset
        let total = secs * 1_000_000 + micros
        guard total >= Self.minMicros, total <= Self.maxMicros else { return nil }
        self.microseconds = total
    }

    static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's public-domain algorithm).
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
