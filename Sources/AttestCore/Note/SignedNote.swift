import Foundation

/// One signature line of a C2SP signed note: `— name base64(keyID ‖ signature)`.
public struct NoteSignature: Hashable, Sendable {
    /// The key name.
    public let name: String
    /// The 4-byte key ID.
    public let keyID: UInt32
    /// The signature bytes after the key ID.
    public let signature: [UInt8]

    public init(name: String, keyID: UInt32, signature: [UInt8]) {
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    /// The line as it appears in a note, without the final newline.
    public var line: String {
        let idBytes: [UInt8] = [UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xFF), UInt8(keyID >> 8 & 0xFF), UInt8(keyID & 0xFF)]
        return "\u{2014} \(name) " + Data(idBytes + signature).base64EncodedString()
    }
}

/// Why a note could not be parsed or verified.
public struct SignedNoteError: CodedError {
    /// A stable code for tests and callers.
    public struct Code: Hashable, Sendable {
        let raw: String
        public static let malformed = Code(raw: "malformed")
        public static let noKnownSignature = Code(raw: "noKnownSignature")
        public static let invalidSignature = Code(raw: "invalidSignature")
        public static let signingFailed = Code(raw: "signingFailed")
    }
    public let code: Code
    /// A human reason.
    public let reason: String
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// A C2SP signed note: UTF-8 text ending in a newline, a blank line, then signature lines.
public struct SignedNote: Hashable, Sendable {
    /// The signed text, ending with a newline.
    public let text: String
    /// The signature lines in order.
    public let signatures: [NoteSignature]

    /// Limits from the specification's guidance: a note is not unbounded.
    public static let maxSignatures = 100

    public init(text: String, signatures: [NoteSignature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Checks that `text` may be signed: non-empty, ends in a newline, no control characters but newline.
    public static func checkText(_ text: String) throws(SignedNoteError) {
        guard !text.isEmpty, text.hasSuffix("\n") else {
            throw SignedNoteError(.malformed, "note text must be non-empty and end with a newline")
        }
        for scalar in text.unicodeScalars where (scalar.value < 0x20 && scalar != "\n") || scalar.value == 0x7F {
            throw SignedNoteError(.malformed, "note text contains a control character U+\(String(scalar.value, radix: 16))")
        }
    }

    /// Signs `text` with every signer, in order.
    public static func sign(_ text: String, with signers: [any NoteSigner]) throws(SignedNoteError) -> SignedNote {
        try checkText(text)
        var sigs: [NoteSignature] = []
        let message = Array(text.utf8)
        for signer in signers {
            do {
                sigs.append(NoteSignature(name: signer.name, keyID: signer.keyID, signature: try signer.sign(message)))
            } catch {
                throw SignedNoteError(.signingFailed, "signing with key \(signer.name) failed: \(error)")
            }
        }
        return SignedNote(text: text, signatures: sigs)
    }

    /// The whole note: text, a blank line, then one line per signature, each ending in a newline.
    public var serialized: String {
        var s = text + "\n"
        for sig in signatures { s += sig.line + "\n" }
        return s
    }

    /// Parses a note. Signature lines that do not parse make the whole note malformed.
    public init(parsing note: String) throws(SignedNoteError) {
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw SignedNoteError(.malformed, "a signed note needs a blank line between text and signatures")
        }
        let text = String(note[note.startIndex..<note.index(after: split.lowerBound)])
        try Self.checkText(text)
        let sigBlock = note[split.upperBound...]
        guard sigBlock.hasSuffix("\n") else {
            throw SignedNoteError(.malformed, "the last signature line must end with a newline")
        }
        var sigs: [NoteSignature] = []
        for line in sigBlock.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("\u{2014} ") else {
                throw SignedNoteError(.malformed, "signature line does not start with an em dash and a space: \"\(line)\"")
            }
            let rest = line.dropFirst(2)
            let fields = rest.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, NoteKeyName.isValid(String(fields[0])),
                let raw = Data(base64Encoded: String(fields[1])), raw.count >= 5
            else {
                throw SignedNoteError(.malformed, "malformed signature line \"\(line)\"")
            }
            let b = Array(raw)
            let id = UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
            sigs.append(NoteSignature(name: String(fields[0]), keyID: id, signature: Array(b[4...])))
        }
        guard !sigs.isEmpty else { throw SignedNoteError(.malformed, "a signed note needs at least one signature") }
        guard sigs.count <= Self.maxSignatures else {
            throw SignedNoteError(.malformed, "too many signatures (\(sigs.count) > \(Self.maxSignatures))")
        }
        self.init(text: text, signatures: sigs)
    }

    /// Verifies the note against known keys and returns the signatures that verified.
    ///
    /// Signatures by unknown keys are ignored; a signature by a known key that does not verify is an
    /// error; at least one known key must have signed.
    @discardableResult
    public func verify(with verifiers: [any NoteVerifier]) throws(SignedNoteError) -> [NoteSignature] {
        let message = Array(text.utf8)
        var good: [NoteSignature] = []
        for sig in signatures {
            guard let v = verifiers.first(where: { $0.name == sig.name && $0.keyID == sig.keyID }) else { continue }
            guard v.verify(message, signature: sig.signature) else {
                throw SignedNoteError(.invalidSignature, "invalid signature by key \(sig.name)+\(NoteKeyName.hex8(sig.keyID))")
            }
            good.append(sig)
        }
        guard !good.isEmpty else {
            let names = verifiers.map { "\($0.name)+\(NoteKeyName.hex8($0.keyID))" }.joined(separator: ", ")
            throw SignedNoteError(.noKnownSignature, "the note has no signature by a known key (\(names))")
        }
        return good
    }
}
