import AttestCore
import Foundation
import Testing

@Suite("Hash256")
struct Hash256Tests {
    static let abcHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    @Test func sha256KnownAnswers() {
        #expect(Hash256.sha256(Array("abc".utf8)).hex == Self.abcHex)
        #expect(Hash256.sha256(Data()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hash256.sha256(Data("abc".utf8)) == Hash256.sha256(Array("abc".utf8)))
    }

    @Test func bytesInitializerRequires32Bytes() {
        #expect(Hash256(bytes: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(Hash256(bytes: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(Hash256(bytes: [UInt8]()) == nil)
        let data = Data(repeating: 7, count: 32)
        #expect(Hash256(bytes: data)?.bytes == [UInt8](repeating: 7, count: 32))
        #expect(Hash256(bytes: [UInt8](repeating: 0, count: 32)) == Hash256.zero)
        #expect(Hash256.zero.bytes.count == 32 && Hash256.zero.bytes.allSatisfy { $0 == 0 })
    }

    @Test func hexRoundTripAllByteValues() throws {
        for start in stride(from: 0, to: 256, by: 32) {
            let bytes = (start..<(start + 32)).map { UInt8($0) }
            let hash = try #require(Hash256(bytes: bytes))
            let expected = bytes.map { byte in
                let digits = Array("0123456789abcdef")
                return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
            }.joined()
            #expect(hash.hex == expected)
            #expect(hash.description == expected)
            #expect(Hash256(hex: expected) == hash)
            #expect(Hash256(hex: expected.uppercased()) == hash)
            #expect(Hash256(hex: Substring(expected)) == hash)
        }
        let mixed = "BA7816bf8f01CFEA414140de5dae2223b00361a396177a9cb410ff61f20015AD"
        #expect(Hash256(hex: mixed)?.hex == Self.abcHex)
    }

    @Test(arguments: [
        "",
        String(repeating: "0", count: 63),
        String(repeating: "0", count: 65),
        String(repeating: "0", count: 62) + "0g",
        String(repeating: "0", count: 62) + "é",
        String(repeating: "0", count: 62) + " 0",
        "0x" + String(repeating: "0", count: 62),
        String(repeating: "0", count: 62) + "-1",
    ])
    func hexRejectsMalformedInput(_ text: String) {
        #expect(Hash256(hex: text) == nil)
    }

    @Test func base64RoundTrip() throws {
        let hash = Hash256.sha256(Array("abc".utf8))
        #expect(hash.base64 == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        #expect(Hash256(base64: hash.base64) == hash)
        #expect(Hash256(base64: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=") == Hash256.sha256(Data()))
    }

    @Test(arguments: [
        "", "ZG9uJ3QgY2FyZSAy", "V3JvbmdSb290", "!!!!", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0",
        String(repeating: "A", count: 44), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0= ",
    ])
    func base64RejectsWrongLengthOrMalformed(_ text: String) {
        #expect(Hash256(base64: text) == nil)
    }

    @Test func ordering() throws {
        let low = try #require(Hash256(hex: "00" + String(repeating: "ff", count: 31)))
        let high = try #require(Hash256(hex: "01" + String(repeating: "00", count: 31)))
        #expect(low < high)
        #expect(!(high < low))
        #expect(Hash256.zero < low)
        #expect([high, low, Hash256.zero].sorted() == [Hash256.zero, low, high])
        #expect(Set([low, high, low]).count == 2)
    }

    @Test("hex digits from raw bytes: every byte value in every position, against a table")
    func hexDigitsEveryByte() throws {
        let lower = Array("0123456789abcdef".utf8)
        let upper = Array("ABCDEF".utf8)
        let base = Array(Self.abcHex.utf8)
        for position in [0, 1, 31, 62, 63] {
            for value in 0...255 {
                var text = base
                text[position] = UInt8(value)
                let isLower = lower.contains(UInt8(value))
                let isUpper = upper.contains(UInt8(value))
                let strict = text.withUnsafeBytes { Hash256(hexDigits: $0) }
                let relaxed = text.withUnsafeBytes { Hash256(hexDigits: $0, upperCase: true) }
                #expect((strict != nil) == isLower, "byte \(value) at \(position)")
                #expect((relaxed != nil) == (isLower || isUpper), "byte \(value) at \(position)")
                if let relaxed {
                    let reference = try #require(Hash256(hex: String(decoding: text, as: UTF8.self).lowercased()))
                    #expect(relaxed == reference)
                    #expect(relaxed.hex == String(decoding: text, as: UTF8.self).lowercased())
                }
            }
        }
        #expect(Hash256(lowercaseHex: Self.abcHex.uppercased()) == nil)
        #expect(Hash256(lowercaseHex: Self.abcHex)?.hex == Self.abcHex)
        #expect(Array(Self.abcHex.utf8).dropLast().withUnsafeBytes { Hash256(hexDigits: $0) } == nil)
    }

    @Test("inline storage: bytes, order, equality and hashing agree with the byte arrays")
    func inlineStorageAgreesWithBytes() throws {
        var rng = SystemRandomNumberGenerator()
        var hashes: [Hash256] = []
        for k in 0..<400 {
            var bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if k % 4 == 0, let previous = hashes.last {
                // Equal prefixes, so later words decide the order.
                bytes = previous.bytes
                bytes[Int.random(in: 8..<32, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
            let h = try #require(Hash256(bytes: bytes))
            #expect(h.bytes == bytes)
            #expect(h.withUnsafeBytes { Array($0) } == bytes)
            #expect(h.data == Data(bytes))
            #expect(Hash256(bytes: Data(bytes)) == h)
            hashes.append(h)
        }
        for (a, b) in zip(hashes, hashes.shuffled(using: &rng)) {
            #expect((a < b) == a.bytes.lexicographicallyPrecedes(b.bytes))
            #expect((a == b) == (a.bytes == b.bytes))
            if a == b { #expect(a.hashValue == b.hashValue) }
        }
        #expect(hashes.sorted().map(\.bytes) == hashes.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) })
    }
}
