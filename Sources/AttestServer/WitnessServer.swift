import AttestCore
import AttestStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `attest witness serve`: a C2SP tlog-witness. `POST /add-checkpoint` checks a log's checkpoint
/// against the latest one this witness cosigned for that origin (with the submitted consistency
/// proof), persists it, and answers with a C2SP tlog-cosignature line (Ed25519, type 0x04).
public struct WitnessServer: Sendable {
    public let store: WitnessStore
    public let cosigner: Ed25519CosignatureSigner
    /// Trusted log keys by origin.
    public let trusted: [String: [any NoteVerifier]]
    public let logger: Logger

    public init(store: WitnessStore, cosigner: Ed25519CosignatureSigner, logs: [any NoteVerifier], logger: Logger) {
        self.store = store
        self.cosigner = cosigner
        self.trusted = Dictionary(grouping: logs, by: \.name)
        self.logger = logger
    }

    static func text(_ status: HTTPResponse.Status, _ body: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Handles one `add-checkpoint` body.
    public func addCheckpoint(_ body: [UInt8]) -> Response {
        do {
            let request = try WitnessProtocol.parse(body)
            let accepted = try store.add(request, trusted: trusted)
            let cosigned = try SignedNote.sign(accepted.note.text, with: [cosigner])
            logger.info(
                "cosigned",
                metadata: ["origin": "\(accepted.checkpoint.origin)", "size": "\(accepted.checkpoint.size)", "old": "\(request.oldSize)"]
            )
            return Self.text(.ok, cosigned.signatures.map { $0.line + "\n" }.joined())
        } catch let refusal as WitnessProtocol.Refusal {
            logger.notice("refused a checkpoint", metadata: ["status": "\(refusal.status)", "reason": "\(refusal.message)"])
            if refusal.status == 409, let size = refusal.latestSize {
                return Self.text(.init(code: 409), "\(size)\n", contentType: "text/x.tlog.size")
            }
            return Self.text(.init(code: refusal.status), refusal.message + "\n")
        } catch {
            logger.error("witness failure", metadata: ["error": "\(error)"])
            return Self.text(.internalServerError, "the witness could not store the checkpoint\n")
        }
    }

    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("add-checkpoint") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            return addCheckpoint(Array(buffer.readableBytesView))
        }
        router.get("healthz") { _, _ in Self.text(.ok, "ok\n") }
        return router
    }

    public func buildApplication(host: String, port: Int) -> some ApplicationProtocol {
        Application(router: buildRouter(), configuration: .init(address: .hostname(host, port: port), serverName: "attest-witness"), logger: logger)
    }
}
