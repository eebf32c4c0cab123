import AttestTesting
import Foundation
import Testing

@testable import AttestCore

/// The scanner is a fast path of verification: it must never call canonical what the full parse and
/// re-serialization would not. These tests compare the two on canonical inputs and on many broken ones.
@Suite("Canonical scanner (the byte-level fast path of verification)")
struct CanonicalScannerTests {
    func scan(_ bytes: [UInt8], recordLevels: Int = 2) -> [CanonicalScanner.Member]? {
        bytes.withUnsafeBufferPointer { CanonicalScanner.scan($0, recordLevels: recordLevels) }
    }

    /// What the slow path says: the bytes parse with the ledger limits and are their own canonical form.
    func canonical(_ bytes: [UInt8]) -> Bool {
        guard let value = try? JSONParser.parse(bytes, limits: .ledger) else { return false }
        return value.canonicalBytes == bytes
    }

    /// Random JSON: ASCII and non-ASCII keys and strings, escapes, integers and doubles, nesting.
    func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        let strings = ["", "a", "key", "ünï", "e\u{301}", "\u{E9}", "tab\there", "quote\"back\\slash", "\u{1}\u{1F}\u{7F}", "😀", "/", "\u{2028}"]
        switch rng.next(upperBound: depth > 3 ? 5 : 7 as UInt64) {
        case 0: return .null
        case 1: return .bool(rng.next(upperBound: 2 as UInt64) == 0)
        case 2:
            let ints: [Int64] = [0, 1, -1, 7, 42, -999, 123_456_789_012_345, 999_999_999_999_999, 1_000_000_000_000_000, 9_007_199_254_740_991]
            return .int(ints[Int(rng.next(upperBound: UInt64(ints.count)))])
        case 3:
            let doubles = [0.5, -1.25, 1e21, 1e-7, 3.141592653589793, 100.0]
            return .double(doubles[Int(rng.next(upperBound: UInt64(doubles.count)))])
        case 4: return .string(strings[Int(rng.next(upperBound: UInt64(strings.count)))])
        case 5: return .array((0..<Int(rng.next(upperBound: 4 as UInt64))).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var m: [String: JSONValue] = [:]
            for _ in 0..<Int(rng.next(upperBound: 5 as UInt64)) {
                let keys = ["a", "b", "ab", "B", "event", "log", "z9", "_", "é", "\u{1F600}", "k\"q"]
                m[keys[Int(rng.next(upperBound: UInt64(keys.count)))]] = randomValue(&rng, depth: depth + 1)
            }
            return .object(m)
        }
    }

    /// Small edits that often break canonical form: whitespace, escapes, number spellings, bad UTF-8,
    /// swapped or duplicated bytes.
    func mutate(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = bytes
        let inserts: [[UInt8]] = [
            [0x20], [0x0A], Array("\\/".utf8), Array("\\u0041".utf8), Array("\\u001F".utf8), Array("\\u0009".utf8), Array("-0".utf8),
            Array("1.0".utf8), Array("01".utf8), Array("1e2".utf8), [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0x01], Array("\"a\":1,".utf8),
            Array(",".utf8), Array("}".utf8), Array("\"".utf8), Array("\\".utf8), Array("\\u00e9".utf8), Array("9007199254740993".utf8),
        ]
        for _ in 0..<(1 + Int(rng.next(upperBound: 2 as UInt64))) {
            let at = b.isEmpty ? 0 : Int(rng.next(upperBound: UInt64(b.count)))
            switch rng.next(upperBound: 5 as UInt64) {
            case 0: b.insert(contentsOf: inserts[Int(rng.next(upperBound: UInt64(inserts.count)))], at: at)
            case 1: if !b.isEmpty { b.remove(at: at) }
            case 2: if !b.isEmpty { b[at] = UInt8(truncatingIfNeeded: rng.next()) }
            case 3: if at + 1 < b.count { b.swapAt(at, at + 1) }
            default: if !b.isEmpty { b.insert(b[at], at: at) }
            }
        }
        return b
    }

    @Test("canonical inputs: whatever the scanner accepts is canonical, and it accepts the plain ones")
    func canonicalInputs() {
        var rng = SplitMix64(seed: 2026)
        var accepted = 0
        for _ in 0..<5_000 {
            let bytes = randomValue(&rng).canonicalBytes
            if scan(bytes) != nil {
                accepted += 1
                #expect(canonical(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        // The fast path must actually be taken for ordinary data, or it is no fast path.
        #expect(accepted > 1_500, "only \(accepted) of 5000 accepted")
        for event in Fixtures.events(50) {
            let bytes = event.value.canonicalBytes
            #expect(canonical(bytes))
            if !bytes.contains(where: { $0 >= 0x80 }) && !String(decoding: bytes, as: UTF8.self).contains(".") {
                #expect(scan(bytes) != nil, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    @Test("broken inputs: the scanner never accepts what the full parse rejects or re-serializes differently")
    func brokenInputs() {
        var rng = SplitMix64(seed: 7)
        var accepted = 0
        var rejected = 0
        for _ in 0..<40_000 {
            let bytes = mutate(randomValue(&rng).canonicalBytes, &rng)
            if scan(bytes) != nil {
                accepted += 1
                #expect(canonical(bytes), "scanner accepted \(String(decoding: bytes, as: UTF8.self))")
            } else {
                rejected += 1
            }
        }
        #expect(accepted > 1_000 && rejected > 10_000, "accepted \(accepted), rejected \(rejected)")
    }

    @Test("a special byte at every offset of the scanner's 8-byte words: the scanner agrees with the full parse")
    func specialBytesAtEveryOffset() {
        // The scanner reads strings 8 bytes at a time and jumps to the first quote, backslash, control
        // or non-ASCII byte of a word; bytes just after it ("#" = quote + 1, "]" = backslash + 1, 0x21)
        // are what a wrong jump would take for the special one.
        let specials: [[UInt8]] = [
            Array(#"\""#.utf8), Array(#"\\"#.utf8), Array(#"\n"#.utf8), Array(#"\u001f"#.utf8), Array(#"\u0041"#.utf8), Array(#"\/"#.utf8),
            Array("é".utf8), Array("😀".utf8), [0x01], [0x1F], [0x7F], [0xC0, 0xAF], [0xFF], [0x22], Array(##"\"#"##.utf8), Array(#"\\]"#.utf8),
        ]
        var accepted = 0
        for length in 0..<24 {
            for offset in 0...length {
                for special in specials {
                    for pad in 0..<8 {
                        var text = Array(repeating: UInt8(ascii: "a"), count: length)
                        text.insert(contentsOf: special, at: offset)
                        let line = Array(#"{"k":""#.utf8) + Array(repeating: UInt8(ascii: "b"), count: pad) + text + Array(#""}"#.utf8)
                        if scan(line) != nil {
                            accepted += 1
                            #expect(canonical(line), "scanner accepted \(String(decoding: line, as: UTF8.self))")
                        } else if !special.contains(where: { $0 >= 0x80 }) {
                            // Plain ASCII that is canonical must be taken by the fast path.
                            #expect(!canonical(line), "scanner refused canonical \(String(decoding: line, as: UTF8.self))")
                        }
                    }
                }
            }
        }
        #expect(accepted > 10_000, "only \(accepted) accepted")
    }

    @Test("specific spellings the scanner must refuse")
    func refusals() {
        let cases = [
            #"{"b":1,"a":2}"#, #"{"a":1,"a":1}"#, #"{"a" :1}"#, #"[1, 2]"#, #"-0"#, #"01"#, #"1.0"#, #"1e2"#, #""\/""#, #""\u0041""#,
            #""\u001F""#, #""\u0009""#, #""\n"#, "\"\u{1}\"", #"{"é":1}"#, #"{"\n":1}"#, #"tru"#, #"nul"#, "[1]x", "", " 1",
            "1234567890123456", "\"\u{FF}\"",
        ]
        for c in cases {
            let bytes: [UInt8] = c == "\"\u{FF}\"" ? [0x22, 0xFF, 0x22] : Array(c.utf8)
            #expect(scan(bytes) == nil, "\(c)")
        }
        for c in [#"{"a":[true,false,null,-5,"x\n\u001f\"\\"],"b":{}}"#, "\"\u{E9}\u{1F600}\"", "[]", "0", #"{"a":{"b":{"c":[]}}}"#] {
            #expect(scan(Array(c.utf8)) != nil, "\(c)")
            #expect(canonical(Array(c.utf8)), "\(c)")
        }
        // The depth limit of the ledger (72) is the scanner's too.
        let deep = Array((String(repeating: "[", count: 73) + String(repeating: "]", count: 73)).utf8)
        #expect(scan(deep) == nil)
        #expect(!canonical(deep))
    }

    @Test("members: key and value ranges of the top two levels")
    func members() throws {
        let text = #"{"entry":{"a":1,"b":[2]},"hash":"x"}"#
        let bytes = Array(text.utf8)
        let m = try #require(scan(bytes))
        func s(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }
        #expect(m.map { s($0.key) } == ["entry", "a", "b", "hash"])
        #expect(m.map { s($0.value) } == [#"{"a":1,"b":[2]}"#, "1", "[2]", #""x""#])
        #expect(m.map(\.level) == [1, 2, 2, 1])
    }

    @Test("entry chain fields read by the scanner equal the full parse; rotations and oddities take the full parse")
    func chainFields() throws {
        var prev = Hash256.zero
        for (i, e) in Fixtures.events(40).enumerated() {
            let entry = LedgerEntry(
                origin: "attest.example.com/acme",
                seq: UInt64(i),
                prev: prev,
                receivedAt: Timestamp(microseconds: 1_790_000_000_000_000),
                event: e.value
            )
            let bytes = entry.canonicalBytes
            if let fields = LedgerEntry.chainFields(canonical: bytes) {
                let parsed = try LedgerEntry(parsing: try JSONParser.parse(bytes, limits: .ledger))
                #expect(fields.seq == parsed.seq && fields.origin == parsed.origin && fields.prev == parsed.prev)
            }
            prev = LedgerEntry.hash(canonicalBytes: bytes)
        }
        let plain = LedgerEntry(origin: "o", seq: 3, prev: .zero, receivedAt: Timestamp(microseconds: 0), event: ["action": "file.read"])
        #expect(LedgerEntry.chainFields(canonical: plain.canonicalBytes)?.seq == 3)
        let rotation = LedgerEntry(origin: "o", seq: 3, prev: .zero, receivedAt: Timestamp(microseconds: 0), event: ["action": "ledger.key_rotation"])
        #expect(LedgerEntry.chainFields(canonical: rotation.canonicalBytes) == nil)
        // An action that is not plain ASCII, or has an escape, is judged by the full parse too.
        for action in ["ledger.key_rotatio\u{301}n", "ledger.\u{212A}ey_rotation", "tab\tbed"] {
            let odd = LedgerEntry(origin: "o", seq: 3, prev: .zero, receivedAt: Timestamp(microseconds: 0), event: ["action": .string(action)])
            #expect(LedgerEntry.chainFields(canonical: odd.canonicalBytes) == nil, "\(action)")
        }
        let nested = LedgerEntry(
            origin: "o",
            seq: 4,
            prev: .zero,
            receivedAt: Timestamp(microseconds: 0),
            event: ["a": ["action": "ledger.key_rotation"], "action": "file.read", "z": 1]
        )
        #expect(LedgerEntry.chainFields(canonical: nested.canonicalBytes)?.seq == 4)
        var extra = plain.canonicalBytes
        extra.insert(contentsOf: Array(#""x":1,"#.utf8), at: extra.count - #""seq":3,"v":1}"#.utf8.count)
        #expect(LedgerEntry.chainFields(canonical: extra) == nil)
    }

    @Test("a reader's parts of an entry (event bytes, received_at) equal the full parse's; unusual entries take the full parse")
    func readableParts() throws {
        func parts(_ bytes: [UInt8]) -> (event: [UInt8], receivedAt: String)? {
            bytes.withUnsafeBufferPointer { p in
                LedgerEntry.readableParts(canonical: p).map {
                    (Array(p[$0.event]), String(decoding: UnsafeBufferPointer(rebasing: p[$0.receivedAt]), as: UTF8.self))
                }
            }
        }
        /// Whatever the fast path reads must be what the full parse reads.
        func agrees(_ bytes: [UInt8]) throws -> Bool {
            guard let fast = parts(bytes) else { return false }
            let parsed = try LedgerEntry(parsing: try JSONParser.parse(bytes, limits: .ledger))
            #expect(canonical(bytes))
            #expect(fast.event == parsed.event.canonicalBytes)
            #expect(fast.receivedAt == parsed.receivedAt.rfc3339)
            return true
        }
        var rng = SplitMix64(seed: 11)
        var taken = 0
        var entries: [[UInt8]] = []
        for (i, e) in Fixtures.events(60).enumerated() {
            let time = Timestamp(microseconds: 1_790_000_000_000_000 + Int64(i) * 7_654_321)
            let entry = LedgerEntry(origin: "attest.example.com/acme", seq: UInt64(i), prev: .zero, receivedAt: time, event: e.value)
            entries.append(entry.canonicalBytes)
        }
        for i in 0..<200 {
            var event: [String: JSONValue] = ["action": "x.y"]
            event["attributes"] = randomValue(&rng)
            let entry = LedgerEntry(origin: "o", seq: UInt64(i), prev: .zero, receivedAt: Timestamp(microseconds: 0), event: .object(event))
            entries.append(entry.canonicalBytes)
        }
        for bytes in entries where try agrees(bytes) { taken += 1 }
        // Numbers other than short integers, and keys with escapes or non-ASCII bytes, take the full
        // parse; the rest is taken.
        #expect(taken >= 100, "\(taken) of \(entries.count) taken")
        let plainEntry = LedgerEntry(
            origin: "attest.example.com/acme",
            seq: 0,
            prev: .zero,
            receivedAt: Timestamp(microseconds: 1_790_000_000_123_456),
            event: ["action": "file.read", "actor": ["id": "agent-0", "type": "agent"], "attributes": ["n": 7, "s": "tab\there \u{E9}"]]
        )
        #expect(try agrees(plainEntry.canonicalBytes))
        // Broken entries: whatever the fast path still takes, the full parse reads the same way.
        for _ in 0..<3000 {
            let broken = mutate(entries[Int(rng.next(upperBound: UInt64(entries.count)))], &rng)
            if parts(broken) != nil { _ = try agrees(broken) }
        }
        // Entries the full parse refuses or reads differently are never taken.
        let plain = String(decoding: plainEntry.canonicalBytes, as: UTF8.self)
        let odd = [
            plain.replacingOccurrences(of: #""v":1}"#, with: #""v":2}"#),
            plain.replacingOccurrences(of: #""seq":0,"#, with: #""seq":-1,"#),
            plain.replacingOccurrences(of: #""prev":"0000"#, with: #""prev":"000g"#),
            plain.replacingOccurrences(of: #".123456Z","seq""#, with: #"Z","seq""#),
            plain.replacingOccurrences(of: #""seq":0,"#, with: #""seq":0,"u":1,"#),
            plain.replacingOccurrences(of: #""log":"attest"#, with: #""log":"\u0061ttest"#),
        ]
        for text in odd {
            #expect(text != plain)
            #expect(parts(Array(text.utf8)) == nil, "\(text.suffix(120))")
        }
    }

    /// A bundle of `count` fixture events (every third entry signed): header, entry lines, checkpoint line.
    func bundle(_ count: Int) throws -> (signer: Ed25519NoteSigner, header: [UInt8], lines: [[UInt8]], checkpoint: [UInt8]) {
        let signer = try Ed25519NoteSigner.generate(name: "attest.example.com/acme")
        var prev = Hash256.zero
        var lines: [[UInt8]] = []
        var hashes: [Hash256] = []
        for (i, e) in Fixtures.events(count).enumerated() {
            let entry = LedgerEntry(
                origin: signer.name,
                seq: UInt64(i),
                prev: prev,
                receivedAt: Timestamp(microseconds: 1_790_000_000_000_000),
                event: e.value
            )
            let bytes = entry.canonicalBytes
            let h = LedgerEntry.hash(canonicalBytes: bytes)
            lines.append(
                Array(
                    BundleWriter.entryLine(
                        canonicalEntry: bytes,
                        hash: h,
                        signature: i % 3 == 0 ? try signer.sign(LedgerEntry.signatureMessage(for: h)) : nil
                    ).dropLast()
                )
            )
            hashes.append(h)
            prev = h
        }
        let header = Array(
            BundleWriter.headerLine(BundleHeader(origin: signer.name, verifierKey: signer.verifierKey, start: 0, prefix: [])).dropLast()
        )
        let cp = Checkpoint(origin: signer.name, size: UInt64(hashes.count), root: Merkle.root(of: hashes))
        let checkpoint = Array(BundleWriter.checkpointLine(try SignedCheckpoint(signing: cp, with: signer).serialized).dropLast())
        return (signer, header, lines, checkpoint)
    }

    func run(
        _ b: (signer: Ed25519NoteSigner, header: [UInt8], lines: [[UInt8]], checkpoint: [UInt8]),
        _ body: [[UInt8]],
        fast: Bool,
        batched: Bool = false,
        lastAlone: Bool = false
    )
        -> VerificationReport
    {
        var v = BundleVerifier(pinnedKey: b.signer.verifier)
        v.scanFastPath = fast
        let all = [b.header] + body + [b.checkpoint]
        if batched {
            // In two batches, the header inside the first: entries are read and hashed on every core,
            // and each batch is applied to the chain during the next call. With `lastAlone` the last
            // line comes on its own (as a last line without a newline does), after the batches.
            let end = lastAlone ? all.count - 1 : all.count
            v.feed(lines: all[0..<(end / 2)].map { $0[...] })
            v.feed(lines: all[(end / 2)..<end].map { $0[...] })
            if lastAlone { v.feed(all[end]) }
        } else {
            for line in all { v.feed(line) }
        }
        return v.finish()
    }

    @Test("bundles: the fast path and the full parse give the same report, clean or broken")
    func bundlesAgree() throws {
        let b = try bundle(30)
        #expect(run(b, b.lines, fast: true).ok)
        #expect(run(b, b.lines, fast: true) == run(b, b.lines, fast: false))
        var rng = SplitMix64(seed: 99)
        var failures = 0
        for _ in 0..<600 {
            var broken = b.lines
            let k = Int(rng.next(upperBound: UInt64(b.lines.count)))
            broken[k] = mutate(broken[k], &rng)
            let fast = run(b, broken, fast: true)
            #expect(fast == run(b, broken, fast: false), "line \(k + 2): \(String(decoding: broken[k], as: UTF8.self))")
            if !fast.ok { failures += 1 }
        }
        #expect(failures > 400, "only \(failures) of 600 broken bundles failed")
    }

    @Test("bundles read in batches on every core give the same report as line by line, clean or broken")
    func batchesAgree() throws {
        let b = try bundle(400)  // enough lines for several workers per batch
        let clean = run(b, b.lines, fast: true, batched: true)
        #expect(clean.ok, "\(clean)")
        #expect(clean == run(b, b.lines, fast: true))
        #expect(run(b, b.lines, fast: true, batched: true, lastAlone: true) == clean)
        #expect(run(b, b.lines, fast: false, batched: true) == clean)
        var rng = SplitMix64(seed: 5)
        var failures = 0
        for _ in 0..<150 {
            var broken = b.lines
            let k = Int(rng.next(upperBound: UInt64(b.lines.count)))
            broken[k] = mutate(broken[k], &rng)
            if rng.next(upperBound: 4 as UInt64) == 0 { broken.swapAt(k, (k + 1) % broken.count) }
            let batched = run(b, broken, fast: true, batched: true, lastAlone: rng.next(upperBound: 2 as UInt64) == 0)
            #expect(batched == run(b, broken, fast: true), "line \(k + 2)")
            if !batched.ok { failures += 1 }
        }
        #expect(failures > 100, "only \(failures) of 150 broken bundles failed")
    }
}
