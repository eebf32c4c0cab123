import Foundation

/// The C2SP tlog-witness `add-checkpoint` protocol, hand-written from the specification: the
/// request body, and the witness's decision for one request given what it last cosigned.
public enum WitnessProtocol {
    /// A parsed `add-checkpoint` request body.
    public struct Request: Hashable, Sendable {
        /// The size of the checkpoint the client believes the witness last cosigned.
        public let oldSize: UInt64
        /// The RFC 6962 consistency proof from `oldSize` to the checkpoint's size.
        public let proof: [Hash256]
        /// The signed checkpoint (note text, possibly with several signatures).
        public let note: String

        public init(oldSize: UInt64, proof: [Hash256], note: String) {
            self.oldSize = oldSize
            self.proof = proof
            self.note = note
        }

        /// The request body: `old N\n`, proof lines, an empty line, the checkpoint.
        public var body: String {
            "old \(oldSize)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + note
        }
    }

    /// A refusal: the HTTP status the specification prescribes, and a body.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public let status: Int
        public let message: String
        /// For 409 after a size mismatch: the size of the latest cosigned checkpoint.
        public let latestSize: UInt64?
        public init(_ status: Int, _ message: String, latestSize: UInt64? = nil) {
            self.status = status
            self.message = message
            self.latestSize = latestSize
        }
        public var description: String { "\(status): \(message)" }
    }

    /// Parses a request body; anything malformed is a 400.
    public static func parse(_ body: [UInt8]) throws(Refusal) -> Request {
        guard let text = String(validating: body, as: UTF8.self) else { throw Refusal(400, "the body is not UTF-8") }
        guard let blank = text.range(of: "\n\n") else { throw Refusal(400, "no empty line before the checkpoint") }
        let head = text[..<blank.lowerBound]
        let note = String(text[blank.upperBound...])
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.hasPrefix("old "), let old = UInt64(first.dropFirst(4)),
            first.dropFirst(4) == "\(old)"
        else { throw Refusal(400, "the first line must be \"old N\" (decimal, no leading zeroes)") }
        lines.removeFirst()
        guard lines.count <= 63 else { throw Refusal(400, "more than 63 consistency proof lines") }
        var proof: [Hash256] = []
        for line in lines {
            guard let h = Hash256(base64: String(line)) else { throw Refusal(400, "a consistency proof line is not a base64 SHA-256 hash") }
            proof.append(h)
        }
        return Request(oldSize: old, proof: proof, note: note)
    }

    /// What the witness last cosigned for an origin.
    public struct Latest: Hashable, Sendable {
        public let size: UInt64
        public let root: Hash256
        public init(size: UInt64, root: Hash256) {
            self.size = size
            self.root = root
        }
    }

    /// Decides a request, in the order the specification gives: unknown origin 404; no trusted
    /// signature 403; old size above the checkpoint 400; old size not the latest cosigned 409 (with
    /// that size); a non-empty proof from 0 400; same size, another root 409; a proof that does not
    /// verify 422. Returns the checkpoint to cosign.
    public static func decide(
        _ request: Request,
        trusted: [String: [any NoteVerifier]],
        latest: Latest?
    ) throws(Refusal) -> SignedCheckpoint {
        let parsed: SignedCheckpoint
        do { parsed = try SignedCheckpoint(parsing: request.note) } catch { throw Refusal(400, "not a checkpoint: \(error.reason)") }
        let cp = parsed.checkpoint
        guard let keys = trusted[cp.origin], !keys.isEmpty else { throw Refusal(404, "unknown log origin \(cp.origin)") }
        do { _ = try parsed.note.verify(with: keys) } catch { throw Refusal(403, "no valid signature by a key trusted for \(cp.origin)") }
        guard request.oldSize <= cp.size else { throw Refusal(400, "old size \(request.oldSize) is above the checkpoint size \(cp.size)") }
        let current = latest?.size ?? 0
        guard request.oldSize == current else {
            throw Refusal(409, "the latest cosigned checkpoint of \(cp.origin) has size \(current)", latestSize: current)
        }
        if request.oldSize == 0 {
            guard request.proof.isEmpty else { throw Refusal(400, "the consistency proof must be empty from size 0") }
            return parsed
        }
        guard let latest else { return parsed }
        if cp.size == latest.size {
            guard cp.root == latest.root else {
                throw Refusal(409, "another root at size \(cp.size) than the one cosigned", latestSize: latest.size)
            }
            return parsed
        }
        let verdict = Merkle.verifyConsistency(oldSize: latest.size, newSize: cp.size, oldRoot: latest.root, newRoot: cp.root, proof: request.proof)
        if case .failure(let e) = verdict { throw Refusal(422, "the consistency proof does not verify: \(e.reason)") }
        return parsed
    }
}
