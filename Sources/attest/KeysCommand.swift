import ArgumentParser
import AttestCore
import AttestHSM
import AttestServer
import Foundation

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Signing keys in an HSM (PKCS#11): make one, and measure signing speed.",
        subcommands: [HSMInitCommand.self, SigningBenchCommand.self]
    )
}

/// The PKCS#11 options shared by the keys commands; the PIN comes from ATTEST_HSM_PIN or a file.
struct HSMOptions: ParsableArguments {
    @Option(name: .long, help: "The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. Env: ATTEST_HSM_MODULE.")
    var module: String?
    @Option(name: .long, help: "The token label. Env: ATTEST_HSM_TOKEN_LABEL.")
    var tokenLabel: String?
    @Option(name: .long, help: "The key label inside the token. Env: ATTEST_HSM_KEY_LABEL.")
    var keyLabel: String?
    @Option(name: .long, help: "A file holding the user PIN (else ATTEST_HSM_PIN). Env: ATTEST_HSM_PIN_FILE.")
    var pinFile: String?

    func config() throws -> PKCS11Key.Config? {
        var c = ServerConfig()
        do {
            try c.apply(environment: ProcessInfo.processInfo.environment)
            if let module { c.hsmModule = module }
            if let tokenLabel { c.hsmTokenLabel = tokenLabel }
            if let keyLabel { c.hsmKeyLabel = keyLabel }
            if let pinFile { c.hsmPinFile = pinFile }
            if c.hsmModule != nil && c.hsmTokenLabel == nil { throw ConfigError(["--token-label is needed with --module"]) }
            return try c.hsmConfig()
        } catch let e as ConfigError {
            throw CLIError.usage(e.problems.joined(separator: "; "))
        }
    }
}

struct HSMInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hsm-init",
        abstract: "Generate the Ed25519 signing key inside a PKCS#11 token (never extractable).",
        discussion: """
            Then run attest serve with the same hsm settings (hsm.module, hsm.token_label, hsm.key_label, and
            ATTEST_HSM_PIN or hsm.pin_file): checkpoints are signed inside the token and DATA_DIR/signing-key
            is not used. Refuses to make a second key with the same label.
            """
    )

    @OptionGroup var hsm: HSMOptions
    @Option(name: .long, help: "Also print the verifier key for this log origin (PREFIX/TENANT).")
    var origin: String?

    func run() async throws {
        guard let config = try hsm.config() else {
            throw CLIError.usage("give --module and --token-label (or ATTEST_HSM_MODULE and ATTEST_HSM_TOKEN_LABEL)")
        }
        let key: PKCS11Key
        do { key = try PKCS11Key.open(config, create: true) } catch { throw CLIError.usage(error.reason) }
        guard key.extractable == false else {
            throw CLIError.usage("the token reports the new private key as extractable; refusing to use it")
        }
        print("made Ed25519 key \"\(config.keyLabel)\" in token \"\(config.tokenLabel)\" (sensitive, not extractable)")
        print("public key: \(Data(key.publicKey).base64EncodedString())")
        if let origin {
            do { print("verifier key of \(origin): \(try PKCS11NoteSigner(name: origin, key: key).verifierKey)") } catch {
                throw CLIError.usage("--origin \(origin): \(error.reason)")
            }
        }
    }
}

struct SigningBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure checkpoint signing and verification: software Ed25519, and the HSM when configured."
    )

    @OptionGroup var hsm: HSMOptions
    @Option(name: .long, help: "Signatures per measurement.")
    var count = 2000

    func measure(_ label: String, _ signer: any NoteSigner, _ verifier: any NoteVerifier) throws {
        let body = Array("bench.example/default\n123456\n\(Hash256.zero.base64)\n".utf8)
        var sigs: [[UInt8]] = []
        sigs.reserveCapacity(count)
        let t0 = ContinuousClock.now
        for _ in 0..<count { sigs.append(try signer.sign(body)) }
        let signing = ContinuousClock.now - t0
        let t1 = ContinuousClock.now
        for s in sigs where !verifier.verify(body, signature: s) { throw CLIError.usage("\(label): a signature did not verify") }
        let verifying = ContinuousClock.now - t1
        func rate(_ d: Duration) -> Int { Int(Double(count) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)) }
        print("BENCH signing backend=\(label) count=\(count) sign_per_s=\(rate(signing)) verify_per_s=\(rate(verifying))")
    }

    func run() async throws {
        let software = try Ed25519NoteSigner.generate(name: "bench.example/default")
        try measure("software-ed25519", software, software.verifier)
        if let config = try hsm.config() {
            let key: PKCS11Key
            do { key = try PKCS11Key.open(config) } catch { throw CLIError.usage(error.reason) }
            let signer = try PKCS11NoteSigner(name: "bench.example/default", key: key)
            try measure("pkcs11:\(config.tokenLabel)", signer, signer.verifier)
        }
    }
}
