import ArgumentParser
import AttestCore
import AttestServer
import AttestStore
import Foundation
import Hummingbird
import Logging

struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Run a C2SP tlog-witness that cosigns checkpoints of the logs it trusts.",
        subcommands: [WitnessKeygenCommand.self, WitnessServeCommand.self]
    )
}

struct WitnessKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a witness key; prints its cosignature verifier key (type 0x04) for logs and verifiers."
    )

    @Option(name: .long, help: "The witness name, e.g. witness.example.com/w1.")
    var name: String
    @Option(name: .long, help: "Where to write the private key (mode 0600, never overwritten).")
    var out: String

    func run() async throws {
        let key: Ed25519NoteSigner
        do { key = try Ed25519NoteSigner.generate(name: name) } catch { throw CLIError.usage("--name \(name): \(error.reason)") }
        do { try DataDirectory.writeSecret(key.privateKeyString + "\n", to: out) } catch let e as StoreError { throw CLIError.usage(e.reason) }
        print(try WitnessServeCommand.cosigner(key).verifierKey)
    }
}

struct WitnessServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve POST /add-checkpoint (C2SP tlog-witness) for the given logs.",
        discussion: """
            Answers 404 for an unknown origin, 403 without a valid signature by a trusted key, 400 for a
            malformed request, 409 (text/x.tlog.size) when the old size is not the latest cosigned size or
            the root differs at the same size, 422 when the consistency proof does not verify, and 200 with a
            cosignature line otherwise. The latest cosigned checkpoint of each origin is kept in
            DATA_DIR/witness.sqlite, checked and updated in one transaction.
            """
    )

    @Option(name: .long, help: "The witness private key (from attest witness keygen).")
    var key: String
    @Option(name: .long, help: "A log verifier key to trust (name+hex8+base64). Repeat for several logs.")
    var log: [String] = []
    @Option(name: .long, help: "Where the witness keeps its state.")
    var dataDir = "./attest-witness"
    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"
    @Option(name: .long, help: "Port to listen on.")
    var port = 8090

    static func cosigner(_ key: Ed25519NoteSigner) throws -> Ed25519CosignatureSigner {
        try Ed25519CosignatureSigner(name: key.name, seed: key.seed)
    }

    func run() async throws {
        guard !log.isEmpty else { throw CLIError.usage("give at least one --log VKEY to witness") }
        var logs: [any NoteVerifier] = []
        for k in log {
            do { logs.append(try NoteVerifiers.parse(k)) } catch { throw CLIError.usage("--log \(k): \(error.reason)") }
        }
        guard let text = try? String(contentsOfFile: key, encoding: .utf8) else { throw CLIError.usage("cannot read \(key)") }
        let signer: Ed25519NoteSigner
        do { signer = try Ed25519NoteSigner(privateKey: text) } catch { throw CLIError.usage("\(key): \(error.reason)") }
        do {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIError.usage("cannot create \(dataDir): \(error.localizedDescription)")
        }
        let store: WitnessStore
        do { store = try WitnessStore(path: dataDir + "/witness.sqlite") } catch let e as StoreError { throw CLIError.usage(e.reason) }
        LoggingSystem.bootstrap { label in DeferredMetadataLogHandler.standardError(label: label, level: .info) }
        let logger = Logger(label: "attest.witness")
        let server = WitnessServer(store: store, cosigner: try Self.cosigner(signer), logs: logs, logger: logger)
        logger.info("witness \(server.cosigner.verifierKey) listening on http://\(host):\(port) for \(logs.map(\.name).joined(separator: ", "))")
        try await server.buildApplication(host: host, port: port).runService()
    }
}
