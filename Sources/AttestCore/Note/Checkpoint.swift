import Foundation

/// A C2SP tlog-checkpoint body: origin, tree size and root hash, plus optional extension lines.
public struct Checkpoint: Hashable, Sendable {
    /// The log's origin, which is also its key name.
    public let origin: String
    /// The number of entries in the tree.
    public let size: UInt64
    /// The RFC 9162 root hash of the first `size` entries.
    public let root: Hash256
    /// Extension lines (without newlines), rarely used.
    public let extensions: [String]

    public init(origin: String, size: UInt64, root: Hash256, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// `origin\nsize\nbase64(root)\n` followed by extension lines.
    public var text: String {
        var s = "\(origin)\n\(size)\n\(root.base64)\n"
        for e in extensions { s += e + "\n" }
        return s
    }

    /// Parses a checkpoint body (the text of a signed note).
    public init(parsing text: String) throws(SignedNoteError) {
        guard text.hasSuffix("\n") else { throw SignedNoteError(.malformed, "checkpoint text must end with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3 else { throw SignedNoteError(.malformed, "a checkpoint has at least three lines") }
        let origin = String(lines[0])
        guard !origin.isEmpty else { throw SignedNoteError(.malformed, "checkpoint origin is empty") }
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.allSatisfy({ $0.isASCII && $0.isNumber }),
            sizeText == "0" || !sizeText.hasPrefix("0"), let size = UInt64(sizeText)
        else {
            throw SignedNoteError(.malformed, "checkpoint size \"\(sizeText)\" is not a decimal number")
        }
        guard let root = Hash256(base64: String(lines[2])) else {
            throw SignedNoteError(.malformed, "checkpoint root is not base64 of 32 bytes")
        }
        let ext = lines.dropFirst(3).map(String.init)
        guard !ext.contains(where: \.isEmpty) else {
            throw SignedNoteError(.malformed, "checkpoint has an empty extension line")
        }
        self.init(origin: origin, size: size, root: root, extensions: ext)
    }
}

/// A checkpoint together with the signed note that carries it.
public struct SignedCheckpoint: Hashable, Sendable {
    /// The parsed body.
    public let checkpoint: Checkpoint
    /// The note (text and signatures).
    public let note: SignedNote

    /// Signs `checkpoint` with `signer`, whose name must be the checkpoint's origin.
    public init(signing checkpoint: Checkpoint, with signer: any NoteSigner) throws(SignedNoteError) {
        guard signer.name == checkpoint.origin else {
            throw SignedNoteError(.signingFailed, "key name \(signer.name) differs from the origin \(checkpoint.origin)")
        }
        self.checkpoint = checkpoint
        self.note = try SignedNote.sign(checkpoint.text, with: [signer])
    }

    /// Parses a signed checkpoint note without verifying it.
    public init(parsing noteText: String) throws(SignedNoteError) {
        let note = try SignedNote(parsing: noteText)
        self.checkpoint = try Checkpoint(parsing: note.text)
        self.note = note
    }

    /// Parses and verifies: the signature must verify with `verifier`, whose name must be the origin.
    public init(verifying noteText: String, with verifier: any NoteVerifier) throws(SignedNoteError) {
        try self.init(parsing: noteText)
        guard checkpoint.origin == verifier.name else {
            throw SignedNoteError(.noKnownSignature, "checkpoint origin \(checkpoint.origin) differs from the key name \(verifier.name)")
        }
        try note.verify(with: [verifier])
    }

    /// The note as text.
    public var serialized: String { note.serialized }
}
