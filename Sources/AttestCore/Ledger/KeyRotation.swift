import Foundation

/// A key rotation recorded in the log itself (FORMAT §5, Key rotation): an entry whose
/// `event.action` is `ledger.key_rotation`, carrying the old and new verifier keys and both keys'
/// signatures of the rotation statement.
public struct KeyRotation: Hashable, Sendable {
    /// The reserved action of rotation entries; client events may not use it.
    public static let action = "ledger.key_rotation"
    /// The first line of the rotation statement.
    public static let statementTag = "attest-key-rotation/v1"

    public let origin: String
    /// The `seq` of the rotation entry (the new key is in effect from tree size `seq + 1`).
    public let seq: UInt64
    public let oldKey: String
    public let newKey: String
    public let oldSignature: [UInt8]
    public let newSignature: [UInt8]

    public init(origin: String, seq: UInt64, oldKey: String, newKey: String, oldSignature: [UInt8], newSignature: [UInt8]) {
        self.origin = origin
        self.seq = seq
        self.oldKey = oldKey
        self.newKey = newKey
        self.oldSignature = oldSignature
        self.newSignature = newSignature
    }

    /// `attest-key-rotation/v1\n<origin>\n<seq>\n<old key>\n<new key>\n` as UTF-8.
    public static func statement(origin: String, seq: UInt64, oldKey: String, newKey: String) -> [UInt8] {
        Array("\(statementTag)\n\(origin)\n\(seq)\n\(oldKey)\n\(newKey)\n".utf8)
    }

    public var statement: [UInt8] { Self.statement(origin: origin, seq: seq, oldKey: oldKey, newKey: newKey) }

    /// Makes the rotation at `seq` from `old` to `new`, signed by both.
    public static func make(origin: String, seq: UInt64, old: any NoteSigner, new: any NoteSigner) throws -> KeyRotation {
        guard old.name == origin, new.name == origin else {
            throw NoteKeyError("both keys of a rotation must be named after the log origin \(origin)")
        }
        guard old.verifierKey != new.verifierKey else { throw NoteKeyError("the new key is the key already in effect") }
        let message = statement(origin: origin, seq: seq, oldKey: old.verifierKey, newKey: new.verifierKey)
        return KeyRotation(
            origin: origin,
            seq: seq,
            oldKey: old.verifierKey,
            newKey: new.verifierKey,
            oldSignature: try old.sign(message),
            newSignature: try new.sign(message)
        )
    }

    /// The audit event of the rotation entry.
    public func event(time: Timestamp) -> JSONValue {
        let newID = (try? NoteVerifiers.parse(newKey)).map { NoteKeyName.hex8($0.keyID) } ?? "unknown"
        return .object([
            "id": .string("attest-key-rotation-\(seq)-\(newID)"),
            "time": .string(time.rfc3339),
            "category": .string("configuration"),
            "action": .string(Self.action),
            "actor": .object(["type": .string("system"), "id": .string("attest")]),
            "outcome": .object(["status": .string("success")]),
            "resource": .object(["type": .string("signing_key"), "id": .string("\(origin)+\(newID)")]),
            "source": .object(["system": .string("attest"), "ingest": .string("cli")]),
            "attributes": .object([
                "key_rotation": .object([
                    "old_key": .string(oldKey),
                    "new_key": .string(newKey),
                    "old_signature": .string(Data(oldSignature).base64EncodedString()),
                    "new_signature": .string(Data(newSignature).base64EncodedString()),
                ])
            ]),
        ])
    }

    /// Whether an entry's event is a rotation entry (by its action alone).
    public static func isRotation(_ event: JSONValue) -> Bool {
        guard case .object(let m) = event, case .string(let a)? = m["action"] else { return false }
        return a == action
    }

    /// Reads the rotation carried by the event of entry `seq` of log `origin`.
    public init(event: JSONValue, origin: String, seq: UInt64) throws(VerificationFailure) {
        func bad(_ why: String) -> VerificationFailure {
            VerificationFailure(.badKeyRotation, seq: seq, "key rotation entry: \(why)")
        }
        guard case .object(let attrs)? = event["attributes"], case .object(let r)? = attrs["key_rotation"] else {
            throw bad("attributes.key_rotation is missing")
        }
        let members = ["old_key", "new_key", "old_signature", "new_signature"]
        if let extra = r.keys.sorted().first(where: { !members.contains($0) }) { throw bad("unknown member \"\(extra)\"") }
        var text: [String: String] = [:]
        for m in members {
            guard case .string(let s)? = r[m] else { throw bad("\(m) must be a string") }
            text[m] = s
        }
        func signature(_ m: String) throws(VerificationFailure) -> [UInt8] {
            guard let raw = Data(base64Encoded: text[m]!), raw.base64EncodedString() == text[m]! else {
                throw bad("\(m) must be canonical base64")
            }
            return Array(raw)
        }
        self.init(
            origin: origin,
            seq: seq,
            oldKey: text["old_key"]!,
            newKey: text["new_key"]!,
            oldSignature: try signature("old_signature"),
            newSignature: try signature("new_signature")
        )
    }

    /// Checks the rotation against the key in effect and returns the verifier of the new key.
    public func verify(current: any NoteVerifier) throws(VerificationFailure) -> any NoteVerifier {
        func bad(_ why: String) -> VerificationFailure {
            VerificationFailure(.badKeyRotation, seq: seq, "key rotation entry: \(why)")
        }
        guard oldKey == current.verifierKey else {
            throw bad("old_key is \(oldKey), but the key in effect is \(current.verifierKey)")
        }
        let new: any NoteVerifier
        do { new = try NoteVerifiers.parse(newKey) } catch { throw bad("new_key: \(error.reason)") }
        guard new.name == origin else { throw bad("new_key is named \(new.name), not the log origin \(origin)") }
        guard new.verifierKey != current.verifierKey else { throw bad("new_key is the key already in effect") }
        guard current.verify(statement, signature: oldSignature) else {
            throw bad("old_signature does not verify with the old key")
        }
        guard new.verify(statement, signature: newSignature) else {
            throw bad("new_signature does not verify with the new key")
        }
        return new
    }
}
