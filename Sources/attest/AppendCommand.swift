import ArgumentParser
import AttestCore
import AttestStore

struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append NDJSON audit events to a tenant's log.",
        discussion: """
            Validates the whole input first: if any line is bad, nothing is written and every bad line
            is named on standard error (line number and JSON pointer), with exit status 2. Then appends
            in batches; each batch is one transaction that ends with a signed checkpoint.
            """
    )

    @OptionGroup var store: DataDirOptions

    @Option(name: .long, help: "Events per transaction (1-10000).")
    var batchSize: Int = 1000

    @Flag(name: .long, help: "Also sign every entry hash (per-entry signatures).")
    var signEntries = false

    @Option(name: .long, help: "Origin prefix for a new data directory (logs are PREFIX/TENANT).")
    var originPrefix: String?

    @Argument(help: "An NDJSON file of events, or - for standard input.")
    var input: String

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1-10000") }
    }

    func run() async throws {
        let bytes = try readInput(input)
        let lines = NDJSON.lines(bytes)
        // Pass 1: find every problem before writing anything.
        var problems: [String] = []
        var badLines = 0
        var progress = Progress("validating")
        let probeTime = Timestamp.now()
        for (n, line) in lines.enumerated() {
            if case .failure(let lineProblems) = NDJSON.event(line.bytes, receivedAt: probeTime).mapError({ $0 }) {
                badLines += 1
                problems.append(contentsOf: lineProblems.messages.map { "line \(line.number): \($0)" })
            }
            if n % 1000 == 0 { progress.update(UInt64(n), of: UInt64(lines.count)) }
        }
        progress.finish()
        guard problems.isEmpty else {
            for p in problems { printError(p) }
            throw CLIError.usage("\(badLines) bad line(s) in \(input); nothing was written")
        }
        guard !lines.isEmpty else { throw CLIError.usage("\(input) has no events") }

        let (ledger, _) = try await store.open(create: true, options: .init(signEntries: signEntries, originPrefix: originPrefix))
        var appended = 0
        var duplicates = 0
        var last: AppendResult?
        // The index columns of what was appended, so the indexer need not read it all back.
        var rows: [IndexRow] = []
        progress = Progress("appending")
        var start = 0
        while start < lines.count {
            let slice = lines[start..<min(start + batchSize, lines.count)]
            let receivedAt = Timestamp.now()
            let events = try slice.map { line -> AuditEvent in
                guard case .success(let e) = NDJSON.event(line.bytes, receivedAt: receivedAt) else {
                    throw CLIError.usage("line \(line.number) changed while appending")
                }
                return e
            }
            let result = try await ledger.append(tenant: store.tenant, events: events, receivedAt: receivedAt)
            duplicates += result.receipts.filter(\.duplicate).count
            appended += result.receipts.count - result.receipts.filter(\.duplicate).count
            last = result
            for (event, receipt) in zip(events, result.receipts) where !receipt.duplicate {
                rows.append(IndexRow(seq: receipt.seq, receivedAt: receivedAt, event: event))
            }
            start += slice.count
            progress.update(UInt64(start), of: UInt64(lines.count))
        }
        progress.finish()
        // Large index transactions cost less per row (fewer pages dirtied per row, as in the service).
        _ = try await ledger.updateIndex(tenant: store.tenant, batch: 50_000, prepared: rows)
        if let c = last?.checkpoint {
            print("appended \(appended) event(s), \(duplicates) duplicate(s) skipped; tree size \(c.size), root \(c.root.hex)")
        }
    }
}

/// Splitting NDJSON input into numbered lines and events.
enum NDJSON {
    struct Line {
        let number: Int
        let bytes: ArraySlice<UInt8>
    }

    /// Non-blank lines with their 1-based numbers; a trailing `\r` is dropped.
    static func lines(_ bytes: [UInt8]) -> [Line] {
        var out: [Line] = []
        var number = 0
        var start = 0
        func add(_ end: Int) {
            number += 1
            var e = end
            if e > start && bytes[e - 1] == 0x0D { e -= 1 }
            let slice = bytes[start..<e]
            if slice.contains(where: { $0 != 0x20 && $0 != 0x09 }) { out.append(Line(number: number, bytes: slice)) }
        }
        for i in bytes.indices where bytes[i] == 0x0A {
            add(i)
            start = i + 1
        }
        if start < bytes.count { add(bytes.count) }
        return out
    }

    /// Parses and validates one line; problems are phrased for a person.
    static func event(_ bytes: ArraySlice<UInt8>, receivedAt: Timestamp) -> Result<AuditEvent, LineProblems> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            return .failure(LineProblems(messages: ["invalid JSON: \(error)"]))
        }
        switch AuditEvent.validate(value, receivedAt: receivedAt) {
        case .success(let e): return .success(e)
        case .failure(let problems): return .failure(LineProblems(messages: problems.problems.map(\.description)))
        }
    }
}

/// What is wrong with one input line.
struct LineProblems: Error {
    let messages: [String]
}
