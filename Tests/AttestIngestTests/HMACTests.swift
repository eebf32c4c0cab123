import AttestCore
import AttestIngest
import Testing

@Suite("HMAC of sensitive values")
struct HMACTests {
    // Expected values computed independently with Python:
    //   python3 -c 'import hmac,hashlib;print(hmac.new(key,msg,hashlib.sha256).hexdigest())'
    // with key = b"attest-redaction-known-answer-k1" (or ...-k2) and msg as given in each comment.
    static let knownAnswers: [(JSONValue, String)] = [
        // msg = b"hunter2": a string is HMACed as its UTF-8 bytes, without quotes.
        ("hunter2", "c81582ba85cae421fbc32906a1582210cf06f37aa8bd549759b0efef3752a419"),
        // msg = "pässwörd".encode("utf-8")
        ("pässwörd", "b1bca5c33d43c9f56646fecade3eb9c72a42266daf99dc9e10f88577e2633cb7"),
        // msg = b"42": an integer's RFC 8785 form.
        (42, "f85fbafa2d8ba5fcc639b1d490fddb949d4142ca0c40661996befb48a466defd"),
        // msg = b"1": the double 1.0 canonicalizes to `1`.
        (1.0, "452b5c9242d905ffd0400d857f4a1bff075f8da877887d583b788a8402ffb643"),
        // msg = b"null"
        (nil, "52b600c2ac31e10f865dd792b3157160b5a032b6eb080a5c40e24dc97f81e880"),
        // msg = b'{"a":"x","b":[1,true,null]}': members sorted, no white space.
        (["b": [1, true, nil], "a": "x"], "96ec82e04c9f017d9aa0b6aa1acd7bb25076ee2c74da1d5f8ff1f2acae8ffcd6"),
    ]

    @Test("known answers under key 1", arguments: knownAnswers)
    func knownAnswer(_ value: JSONValue, _ hex: String) {
        #expect(RedactionFixtures.redactor().hmac(value) == "hmac-sha256:" + hex)
    }

    @Test("known answers under key 2 differ from key 1")
    func otherKey() {
        let redactor1 = RedactionFixtures.redactor()
        let redactor2 = RedactionFixtures.redactor(key: RedactionFixtures.key2)
        #expect(redactor2.hmac("hunter2") == "hmac-sha256:71596f6f68f98e33f6ca1c8735e81693121e2be18a34d8c69bb9526f11b5ed89")
        #expect(redactor2.hmac(42) == "hmac-sha256:d67e4afcf24e38cf57207e6134a0d71de4b68184b0c32653288bf20b034c4b81")
        for (value, _) in Self.knownAnswers {
            #expect(redactor1.hmac(value) != redactor2.hmac(value))
        }
        let event: JSONValue = ["attributes": ["password": "hunter2"]]
        #expect(redactor1.apply(to: event).0 != redactor2.apply(to: event).0)
    }

    @Test("RFC 4231 test case 6 (a 131-byte key)")
    func rfc4231() {
        let redactor = Redactor(policy: .default, key: [UInt8](repeating: 0xAA, count: 131))
        #expect(
            redactor.hmac("Test Using Larger Than Block-Size Key - Hash Key First")
                == "hmac-sha256:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        )
    }

    @Test("a string is not HMACed in its quoted JSON form; a string and a number with the same text agree")
    func stringRule() {
        let redactor = RedactionFixtures.redactor()
        // HMAC(key1, b'"hunter2"') — what the canonical form of the string would give.
        #expect(redactor.hmac("hunter2") != "hmac-sha256:43d21aa305b8969d12b757f15b82aed46338cb06d43ec656cc5118291ba85f10")
        #expect(redactor.hmac("42") == redactor.hmac(42))
        #expect(redactor.hmac(["hunter2"]) != redactor.hmac("hunter2"))
    }

    @Test("apply replaces a sensitive value by exactly the hmac(_:) object")
    func replacementShape() throws {
        let event: JSONValue = ["attributes": ["password": "hunter2"]]
        let (result, _) = RedactionFixtures.redactor().apply(to: event)
        #expect(
            result["attributes"]?["password"]
                == RedactionFixtures.hmacObject("c81582ba85cae421fbc32906a1582210cf06f37aa8bd549759b0efef3752a419")
        )
        #expect(
            result.canonicalString
                == #"{"attributes":{"password":{"hmac":"hmac-sha256:c81582ba85cae421fbc32906a1582210cf06f37aa8bd549759b0efef3752a419"}}}"#
        )
    }

    @Test("an existing HMAC object is kept and not reported; look-alikes are HMACed")
    func existingHMAC() {
        let valid = RedactionFixtures.hmacObject(String(repeating: "0123456789abcdef", count: 4))
        let lookAlikes: [JSONValue] = [
            RedactionFixtures.hmacObject(String(repeating: "0123456789ABCDEF", count: 4)),  // upper-case hex
            RedactionFixtures.hmacObject(String(repeating: "0123456789abcdef", count: 4) + "0"),  // 65 digits
            .object(["hmac": .string("hmac-sha1:" + String(repeating: "ab", count: 32))]),
            .object(["hmac": .string("hmac-sha256:" + String(repeating: "ab", count: 32)), "x": 1]),
            .object(["hmac": 1]),
        ]
        let redactor = RedactionFixtures.redactor()
        let (kept, keptReport) = redactor.apply(to: ["attributes": ["token": valid, "copy": valid]])
        #expect(kept == ["attributes": ["token": valid, "copy": valid]])
        #expect(keptReport.isEmpty)
        for lookAlike in lookAlikes {
            let (result, report) = redactor.apply(to: ["attributes": ["token": lookAlike]])
            #expect(result["attributes"]?["token"] == .object(["hmac": .string(redactor.hmac(lookAlike))]))
            #expect(report.hmacPointers == ["/attributes/token"])
            #expect(Redactor.isHMACObject(result["attributes"]?["token"] ?? .null))
            #expect(!Redactor.isHMACObject(lookAlike))
        }
    }

    @Test("a key shorter than 32 bytes is refused")
    func shortKey() async {
        await #expect(processExitsWith: .failure) {
            _ = Redactor(policy: .default, key: [UInt8](repeating: 7, count: 31))
        }
    }
}
