import Foundation

/// The first line of an export bundle (FORMAT §6):
/// `{"bundle":"attest/v1","log":ORIGIN,"verifier_key":VKEY,"start":M,"prefix":[HEX,…]}`.
public struct BundleHeader: Hashable, Sendable {
    /// The format tag.
    public static let format = "attest/v1"
    /// The log origin.
    public let origin: String
    /// The verifier key of the log, as the exporter states it (pin your own with `--key`).
    public let verifierKey: String
    /// The `seq` of the first entry in the bundle.
    public let start: UInt64
    /// The compact range of [0, start): perfect subtree roots, left to right.
    public let prefix: [Hash256]

    public init(origin: String, verifierKey: String, start: UInt64, prefix: [Hash256]) {
        self.origin = origin
        self.verifierKey = verifierKey
        self.start = start
        self.prefix = prefix
    }

    /// The header as a JSON value.
    public var jsonValue: JSONValue {
        .object([
            "bundle": .string(Self.format), "log": .string(origin), "verifier_key": .string(verifierKey),
            "start": .int(Int64(start)), "prefix": .array(prefix.map { .string($0.hex) }),
        ])
    }

    /// Reads a header line's value.
    public init(parsing v: JSONValue) throws(LedgerFormatError) {
        guard case .object(let m) = v else { throw LedgerFormatError("header is not a JSON object") }
        if let extra = m.keys.first(where: { !["bundle", "log", "verifier_key", "start", "prefix"].contains($0) }) {
            throw LedgerFormatError("header has an unknown member \"\(extra)\"")
        }
        guard case .string(let tag)? = m["bundle"] else {
            throw LedgerFormatError("first line is not a bundle header (no \"bundle\" member)")
        }
        guard tag == Self.format else { throw LedgerFormatError("unsupported bundle format \"\(tag)\" (expected \(Self.format))") }
        guard case .string(let origin)? = m["log"], !origin.isEmpty else { throw LedgerFormatError("header \"log\" must be a string") }
        guard case .string(let key)? = m["verifier_key"] else { throw LedgerFormatError("header \"verifier_key\" must be a string") }
        guard case .int(let start)? = m["start"], start >= 0 else {
            throw LedgerFormatError("header \"start\" must be a non-negative integer")
        }
        guard case .array(let items)? = m["prefix"] else { throw LedgerFormatError("header \"prefix\" must be an array") }
        var prefix: [Hash256] = []
        for item in items {
            guard case .string(let hex) = item, let h = Hash256(lowercaseHex: hex) else {
                throw LedgerFormatError("header \"prefix\" items must be 64 lower-case hex digits")
            }
            prefix.append(h)
        }
        self.init(origin: origin, verifierKey: key, start: UInt64(start), prefix: prefix)
    }
}

/// Writes export bundles: a header, one line per entry, and a final checkpoint line.
///
/// Every line is RFC 8785 JSON followed by `\n`.
public enum BundleWriter {
    /// The header line.
    public static func headerLine(_ header: BundleHeader) -> [UInt8] {
        var out = header.jsonValue.canonicalBytes
        out.append(0x0A)
        return out
    }

    /// An entry line `{"entry":ENTRY,"hash":HEX,"sig":B64}` from the entry's canonical bytes.
    ///
    /// The canonical entry bytes are embedded as they are: they are already RFC 8785, and `entry`
    /// sorts before `hash` and `sig`, so the line stays canonical.
    public static func entryLine(canonicalEntry: [UInt8], hash: Hash256, signature: [UInt8]?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(canonicalEntry.count + 120)
        out.append(contentsOf: Array(#"{"entry":"#.utf8))
        out.append(contentsOf: canonicalEntry)
        out.append(contentsOf: Array(#","hash":""#.utf8))
        out.append(contentsOf: hash.hex.utf8)
        out.append(UInt8(ascii: "\""))
        if let signature {
            out.append(contentsOf: Array(#","sig":""#.utf8))
            out.append(contentsOf: Data(signature).base64EncodedString().utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: Array("}\n".utf8))
        return out
    }

    /// The last line `{"checkpoint":NOTE_TEXT}`.
    public static func checkpointLine(_ note: String) -> [UInt8] {
        var out = JSONValue.object(["checkpoint": .string(note)]).canonicalBytes
        out.append(0x0A)
        return out
    }
}
