import Crypto
import Foundation

/// One ledger entry (FORMAT §3): `{"v":1,"log":ORIGIN,"seq":N,"prev":HEX,"received_at":RFC3339,"event":EVENT}`.
///
/// What is hashed is the RFC 8785 serialization of that object; the entry hash is the RFC 9162 leaf
/// hash SHA-256(0x00 ‖ JCS(entry)) and is also the chain link (`prev`) of the next entry.
public struct LedgerEntry: Hashable, Sendable {
    /// The entry format version.
    public static let version: Int64 = 1
    /// Domain separation prefix of per-entry signatures.
    public static let signaturePrefix: [UInt8] = Array("attest-entry-v1:".utf8)

    /// The log origin.
    public let origin: String
    /// The position in the log, from 0.
    public let seq: UInt64
    /// The entry hash of entry `seq - 1`, or all zeros for entry 0.
    public let prev: Hash256
    /// When the ledger received the event.
    public let receivedAt: Timestamp
    /// The normalized event.
    public let event: JSONValue

    public init(origin: String, seq: UInt64, prev: Hash256, receivedAt: Timestamp, event: JSONValue) {
        self.origin = origin
        self.seq = seq
        self.prev = prev
        self.receivedAt = receivedAt
        self.event = event
    }

    /// The entry as a JSON object.
    public var jsonValue: JSONValue {
        .object([
            "v": .int(Self.version), "log": .string(origin), "seq": .int(Int64(seq)), "prev": .string(prev.hex),
            "received_at": .string(receivedAt.rfc3339), "event": event,
        ])
    }

    /// RFC 8785 bytes of the entry, written directly in canonical key order
    /// (`event`, `log`, `prev`, `received_at`, `seq`, `v`); equal to `jsonValue.canonicalBytes`.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: Self.lit1)
        event.writeCanonical(into: &out)
        appendTail(to: &out)
        return out
    }

    /// ``canonicalBytes``, given the canonical bytes of `event` (computed ahead, off the writer).
    /// - Precondition: `eventBytes == event.canonicalBytes`.
    public func canonicalBytes(eventBytes: [UInt8]) -> [UInt8] {
        Self.canonicalBytes(origin: origin, seq: seq, prev: prev, receivedAt: receivedAt, eventBytes: eventBytes)
    }

    /// The canonical bytes of the entry with these fields and an event whose canonical bytes are
    /// `eventBytes`, without the event's tree (the writer has only the bytes of events that came in
    /// on the byte path).
    public static func canonicalBytes(origin: String, seq: UInt64, prev: Hash256, receivedAt: Timestamp, eventBytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(eventBytes.count + 200)
        out.append(contentsOf: lit1)
        out.append(contentsOf: eventBytes)
        appendTail(to: &out, origin: origin, seq: seq, prev: prev, receivedAt: receivedAt)
        return out
    }

    private func appendTail(to out: inout [UInt8]) {
        Self.appendTail(to: &out, origin: origin, seq: seq, prev: prev, receivedAt: receivedAt)
    }

    private static func appendTail(to out: inout [UInt8], origin: String, seq: UInt64, prev: Hash256, receivedAt: Timestamp) {
        out.append(contentsOf: lit2)
        JSONValue.string(origin).writeCanonical(into: &out)
        out.append(contentsOf: lit3)
        out.append(contentsOf: prev.hex.utf8)
        out.append(contentsOf: lit4)
        out.append(contentsOf: receivedAt.rfc3339.utf8)
        out.append(contentsOf: lit5)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: lit6)
    }

    private static let lit1 = Array(#"{"event":"#.utf8)
    private static let lit2 = Array(#","log":"#.utf8)
    private static let lit3 = Array(#","prev":""#.utf8)
    private static let lit4 = Array(#"","received_at":""#.utf8)
    private static let lit5 = Array(#"","seq":"#.utf8)
    private static let lit6 = Array(#","v":1}"#.utf8)

    /// The entry hash of canonical entry bytes.
    public static func hash(canonicalBytes: [UInt8]) -> Hash256 { Merkle.leafHash(canonicalBytes) }

    /// The message a per-entry signature signs: `attest-entry-v1:` ‖ the 32 hash bytes.
    public static func signatureMessage(for hash: Hash256) -> [UInt8] { signaturePrefix + hash.bytes }

    /// Reads an entry object, naming what is wrong if it is not one.
    public init(parsing value: JSONValue) throws(LedgerFormatError) {
        guard case .object(let m) = value else { throw LedgerFormatError("entry is not a JSON object") }
        let known: Set<String> = ["v", "log", "seq", "prev", "received_at", "event"]
        if let extra = m.keys.first(where: { !known.contains($0) }) {
            throw LedgerFormatError("entry has an unknown member \"\(extra)\"")
        }
        guard case .int(let v)? = m["v"], v == Self.version else { throw LedgerFormatError("entry \"v\" must be 1") }
        guard case .string(let origin)? = m["log"] else { throw LedgerFormatError("entry \"log\" must be a string") }
        guard case .int(let seq)? = m["seq"], seq >= 0 else {
            throw LedgerFormatError("entry \"seq\" must be a non-negative integer")
        }
        guard case .string(let prevHex)? = m["prev"], let prev = Hash256(lowercaseHex: prevHex)
        else {
            throw LedgerFormatError("entry \"prev\" must be 64 lower-case hex digits")
        }
        guard case .string(let ts)? = m["received_at"], let receivedAt = Timestamp(rfc3339: ts), receivedAt.rfc3339 == ts else {
            throw LedgerFormatError("entry \"received_at\" must be UTC RFC 3339 with six fractional digits and Z")
        }
        guard let event = m["event"], case .object = event else { throw LedgerFormatError("entry \"event\" must be an object") }
        self.init(origin: origin, seq: UInt64(seq), prev: prev, receivedAt: receivedAt, event: event)
    }
}

/// A structural problem with ledger data (an entry, a bundle line).
public struct LedgerFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
