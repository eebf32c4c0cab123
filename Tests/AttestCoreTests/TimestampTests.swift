import AttestCore
import Foundation
import Testing

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test(
        "parses RFC 3339 date-times with offsets and fractions",
        arguments: [
            ("1970-01-01T00:00:00Z", Int64(0)),
            ("1970-01-01T00:00:00.000001Z", 1),
            ("2026-11-23T08:15:30.5+02:00", 1_795_414_530_500_000),
            ("2026-11-23t06:15:30.5z", 1_795_414_530_500_000),
            ("2000-02-29T23:59:59.999999999-00:30", 951_870_599_999_999),
            ("1969-12-31T23:59:59.9Z", -100_000),
            ("0001-01-01T00:00:00Z", -62_135_596_800_000_000),
        ]
    )
    func parses(_ text: String, _ micros: Int64) {
        #expect(Timestamp(rfc3339: text)?.microseconds == micros)
    }

    @Test(
        "refuses what RFC 3339 does not allow",
        arguments: [
            "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T23:60:00Z",
            "2026-11-23T23:59:60Z", "2026-11-23 08:15:30Z", "2026-11-23T08:15:30", "2026-11-23T08:15:30.Z",
            "2026-11-23T08:15:30+0200", "26-11-23T08:15:30Z", "2026-11-23T08:15:30Zjunk", "", "yesterday",
        ]
    )
    func refuses(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("formatting matches Foundation's ISO 8601 formatter on random instants and round-trips")
    func formatting() {
        var rng = SystemRandomNumberGenerator()
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        for _ in 0..<2000 {
            let micros = Int64.random(in: -2_000_000_000_000_000...4_000_000_000_000_000, using: &rng)
            let t = Timestamp(microseconds: micros)
            let text = t.rfc3339
            #expect(text.count == 27)
            #expect(Timestamp(rfc3339: text) == t)
            let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
            let reference = f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(String(text.prefix(19)) + "Z" == reference)
        }
    }

    @Test("isCanonical agrees with parsing and formatting again, on instants and on mutated spellings")
    func isCanonicalAgreesWithRoundTrip() {
        var rng = SystemRandomNumberGenerator()
        func roundTrips(_ text: [UInt8]) -> Bool {
            let s = String(decoding: text, as: UTF8.self)
            return Timestamp(rfc3339: s)?.rfc3339 == s
        }
        let alphabet = Array("0123456789-:.TZtz+ ".utf8) + [0x00, 0xC3, 0x7F]
        var accepted = 0
        for _ in 0..<3000 {
            let micros = Int64.random(in: -62_135_596_800_000_000...253_402_300_799_999_999, using: &rng)
            var text = Array(Timestamp(microseconds: micros).rfc3339.utf8)
            #expect(text.withUnsafeBytes { Timestamp.isCanonical($0) })
            // One to three bytes replaced, a byte dropped or one added.
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: text.removeLast()
            case 1: text.append(alphabet.randomElement(using: &rng)!)
            default:
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    text[Int.random(in: 0..<text.count, using: &rng)] = alphabet.randomElement(using: &rng)!
                }
            }
            let canonical = text.withUnsafeBytes { Timestamp.isCanonical($0) }
            #expect(canonical == roundTrips(text), "\(String(decoding: text, as: UTF8.self))")
            if canonical { accepted += 1 }
        }
        #expect(accepted > 0, "some mutations (digit for digit) stay canonical")
        for text in ["2026-02-29T00:00:00.000000Z", "2024-02-29T24:00:00.000000Z", "0000-01-01T00:00:00.000000Z", "2026-11-23T08:15:30Z"] {
            #expect(Array(text.utf8).withUnsafeBytes { Timestamp.isCanonical($0) } == false, "\(text)")
        }
        #expect(Array("2024-02-29T23:59:59.999999Z".utf8).withUnsafeBytes { Timestamp.isCanonical($0) })
    }

    @Test("UUIDv7 has the version and variant bits and sorts by time")
    func uuid() {
        let a = UUIDv7.make(at: Timestamp(microseconds: 1_000_000_000))
        let b = UUIDv7.make(at: Timestamp(microseconds: 2_000_000_000))
        #expect(a.count == 36)
        let chars = Array(a)
        #expect(chars[14] == "7")
        #expect("89ab".contains(chars[19]))
        #expect(a < b)
        #expect(UUID(uuidString: a) != nil)
    }

    /// Returns the words it is given, in turn.
    struct Words: RandomNumberGenerator {
        var words: [UInt64]
        mutating func next() -> UInt64 { words.removeFirst() }
    }

    @Test("UUIDv7 lays out RFC 9562's fields: 48-bit milliseconds, version 7, 12 random bits, variant 10, 62 random bits")
    func uuidLayout() {
        var rng = Words(words: [0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210])
        // 1_700_000_000_123 ms = 0x018B_CFE5_687B.
        let id = UUIDv7.make(at: Timestamp(microseconds: 1_700_000_000_123_456), using: &rng)
        // Random bits: r1 & 0xF, r1 >> 8 (one byte), (r1 >> 16) & 0x3F, then r2's bytes from the low one.
        #expect(id == "018bcfe5-687b-7fcd-ab10-32547698badc")
        var batch = UUIDv7.Batch()
        let ids = (0..<1_000).map { _ in batch.make() }
        #expect(Set(ids).count == 1_000)
        #expect(ids.allSatisfy { UUID(uuidString: $0) != nil && Array($0)[14] == "7" && "89ab".contains(Array($0)[19]) })
        // Past several buffers of random words (32 each), still different words.
        var random = BufferedSystemRandom()
        let words = (0..<200).map { _ in random.next() }
        #expect(Set(words).count == 200)
    }
}
