import ArgumentParser
import AttestStore

struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print the latest signed checkpoint (a C2SP signed note) of a tenant's log."
    )

    @OptionGroup var store: DataDirOptions

    func run() async throws {
        let (ledger, _) = try await store.open(create: false)
        guard let c = try await ledger.latestCheckpoint(tenant: store.tenant) else {
            throw CLIError.usage("no log for tenant \"\(store.tenant)\"")
        }
        print(c.note, terminator: "")
    }
}

struct PubkeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pubkey",
        abstract: "Print the verifier key (name+hex8+base64) of a tenant's log."
    )

    @OptionGroup var store: DataDirOptions

    func run() async throws {
        let (ledger, _) = try await store.open(create: false)
        guard try await ledger.log(tenant: store.tenant, create: false) != nil else {
            throw CLIError.usage("no log for tenant \"\(store.tenant)\"")
        }
        print(try await ledger.verifierKey(tenant: store.tenant))
    }
}
