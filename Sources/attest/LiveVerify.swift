import AttestCore
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `attest verify --server URL`: checks a running log from outside, remembering what it saw
/// (FORMAT §8). Uses only the public API: /v1/checkpoint, /v1/pubkey, /v1/proofs/consistency,
/// /v1/keys and /v1/export (one rotation entry at a time; everything with --full).
struct LiveVerify {
    let base: URL
    let token: String?
    let tenant: String?
    let session = URLSession(configuration: .ephemeral)

    /// GET a path of the API; non-2xx answers are errors naming the status and the problem detail.
    func get(_ path: String, _ query: [String: String] = [:]) async throws -> Data {
        var c = URLComponents(url: base.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        var items = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        if let tenant { items.append(URLQueryItem(name: "tenant", value: tenant)) }
        if !items.isEmpty { c.queryItems = items }
        var request = URLRequest(url: c.url!)
        request.timeoutInterval = 60
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw CLIError.usage("GET \(c.url!.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            var detail = String(decoding: data.prefix(500), as: UTF8.self)
            if let v = try? JSONParser.parse(Array(data)), case .object(let o) = v, case .string(let d)? = o["detail"] { detail = d }
            throw CLIError.usage("GET \(path): HTTP \(status): \(detail)")
        }
        return data
    }

    func consistencyProof(_ old: UInt64, _ new: UInt64) async throws -> [Hash256] {
        let data = try await get("v1/proofs/consistency", ["from": String(old), "to": String(new)])
        guard let v = try? JSONParser.parse(Array(data)), case .object(let o) = v, case .array(let items)? = o["consistency"] else {
            throw CLIError.usage("the consistency proof from \(base) is not the documented JSON")
        }
        return try items.map { item in
            guard case .string(let hex) = item, let h = Hash256(hex: hex) else {
                throw CLIError.usage("the consistency proof from \(base) holds a value that is not a 32-byte hex hash")
            }
            return h
        }
    }

    /// The server's key history (`GET /v1/keys`): untrusted, only a list of rotations to check.
    func keyHistory() async throws -> [LogMonitor.ListedKey] {
        let data = try await get("v1/keys")
        guard let v = try? JSONParser.parse(Array(data)), case .array(let items)? = v["keys"] else {
            throw CLIError.usage("the key history from \(base) is not the documented JSON")
        }
        return try items.map { item in
            guard case .string(let key)? = item["verifier_key"] else {
                throw CLIError.usage("the key history from \(base) has an entry without verifier_key")
            }
            var seq: UInt64?
            if case .int(let r)? = item["rotation_seq"], r >= 0 { seq = UInt64(r) }
            return LogMonitor.ListedKey(verifierKey: key, rotationSeq: seq)
        }
    }

    /// Downloads the bundle of `[0, size)` and verifies every entry, the chain, the tree and the
    /// checkpoint; its root must be the accepted checkpoint's root.
    func full(size: UInt64, root: Hash256, key: any NoteVerifier) async throws -> VerificationReport {
        let data = try await get("v1/export", ["start": "0", "end": String(size)])
        var verifier = BundleVerifier(pinnedKey: key)
        let bytes = Array(data)
        var start = 0
        for i in bytes.indices where bytes[i] == 0x0A {
            verifier.feed(bytes[start..<i])
            start = i + 1
            if verifier.failed { break }
        }
        if start < bytes.count && !verifier.failed { verifier.feed(bytes[start...], terminated: false) }
        var report = verifier.finish()
        if report.ok && (report.range != 0..<size || report.root != root) {
            report.failure = VerificationFailure(
                .rootMismatch,
                "the exported bundle covers \(report.range.map { "\($0)" } ?? "nothing") with root \(report.root?.hex ?? "-"), not 0..<\(size) with the checkpoint's root \(root.hex)"
            )
        }
        return report
    }

    /// Reads a state file, or nil when it does not exist.
    static func readState(_ path: String) throws -> LogMonitor.State? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.usage("cannot read \(path)") }
        do {
            return try LogMonitor.State(json: try JSONParser.parse(Array(data)))
        } catch let e as LogMonitorError {
            throw CLIError.usage("\(path): \(e.reason)")
        } catch {
            throw CLIError.usage("\(path): not JSON: \(error)")
        }
    }

    /// Replaces the state file atomically: a new file is written and synced, then renamed over it.
    static func writeState(_ state: LogMonitor.State, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        var bytes = state.json.canonicalBytes
        bytes.append(0x0A)
        guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes), attributes: [.posixPermissions: 0o644]) else {
            throw CLIError.usage("cannot write \(tmp)")
        }
        let fd = open(tmp, O_RDONLY)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
        guard rename(tmp, path) == 0 else {
            try? FileManager.default.removeItem(atPath: tmp)
            throw CLIError.usage("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}
