import ArgumentParser
import AttestCore
import AttestStore
import Foundation

struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate an Ed25519 signing key for a log origin.",
        discussion: """
            Writes the private key (PRIVATE+KEY+name+hex8+base64, mode 0600) and prints the verifier
            key (name+hex8+base64) on standard output. Never overwrites an existing file.
            """
    )

    @Option(name: .long, help: "The key name: the log origin, e.g. attest.example.com/default.")
    var origin: String

    @Option(name: .long, help: "Where to write the private key (default: ./<origin with / as _>.key).")
    var out: String?

    func run() async throws {
        guard NoteKeyName.isValid(origin) else {
            throw CLIError.usage("origin \"\(origin)\" is not a valid key name (non-empty, no spaces, no '+')")
        }
        let key = try Ed25519NoteSigner.generate(name: origin)
        let path = out ?? "./" + origin.replacingOccurrences(of: "/", with: "_") + ".key"
        do {
            try DataDirectory.writeSecret(key.privateKeyString + "\n", to: path)
        } catch let e as StoreError {
            throw CLIError.usage(e.reason)
        }
        printError("wrote private key to \(path) (mode 0600)")
        print(key.verifierKey)
    }
}
