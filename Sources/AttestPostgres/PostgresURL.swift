import AttestStore
import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` connection URL.
///
/// postgres-nio takes a structured configuration, not a URL, so the URL is parsed here (by
/// Foundation's `URLComponents`). `sslmode` is `disable`, `prefer` (the default: TLS when the server
/// offers it) or `require` (TLS, with the server certificate verified against the system trust roots
/// or `sslrootcert=FILE`). `?host=/run/postgresql` connects over a Unix socket.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: String
    public var sslRootCert: String?
    public var unixSocket: String?

    /// Parses and checks a URL, naming every problem.
    public init(_ text: String) throws {
        guard let c = URLComponents(string: text), let scheme = c.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw StoreError(.invalidArgument, "database URL must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        var problems: [String] = []
        user = c.user.flatMap { $0.removingPercentEncoding } ?? ""
        if user.isEmpty { problems.append("it names no user") }
        password = c.password.flatMap { $0.removingPercentEncoding }
        host = c.host.flatMap { $0.removingPercentEncoding } ?? ""
        port = c.port ?? 5432
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = path.removingPercentEncoding ?? path
        if database.isEmpty { database = user }
        sslMode = "prefer"
        for item in c.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                let v = item.value ?? ""
                if ["disable", "prefer", "require"].contains(v) {
                    sslMode = v
                } else {
                    problems.append("sslmode must be disable, prefer or require")
                }
            case "sslrootcert": sslRootCert = item.value
            case "host": unixSocket = item.value  // postgres:///db?host=/run/postgresql
            default: problems.append("unknown parameter \(item.name)")
            }
        }
        if host.isEmpty && unixSocket == nil { problems.append("it names no host") }
        if !problems.isEmpty {
            throw StoreError(.invalidArgument, "database URL \(Self.redact(text)): " + problems.joined(separator: "; "))
        }
    }

    /// The URL with the password replaced by `***`: safe for logs and errors.
    public var description: String {
        var c = URLComponents()
        c.scheme = "postgres"
        c.user = user
        if password != nil { c.password = "***" }
        c.host = host
        c.port = port
        c.path = "/" + database
        return c.string ?? "postgres://\(user)@\(host):\(port)/\(database)"
    }

    /// The full URL, password included (for writing `attest.yaml`, never for logs).
    public var secretString: String {
        var c = URLComponents()
        c.scheme = "postgres"
        c.percentEncodedUser = Self.encode(user)
        if let password { c.percentEncodedPassword = Self.encode(password) }
        c.host = host
        c.port = port
        c.percentEncodedPath = "/" + Self.encode(database)
        var items: [URLQueryItem] = []
        if sslMode != "prefer" { items.append(URLQueryItem(name: "sslmode", value: sslMode)) }
        if let sslRootCert { items.append(URLQueryItem(name: "sslrootcert", value: sslRootCert)) }
        if !items.isEmpty { c.queryItems = items }
        return c.string!
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// A URL text with any password hidden, even when it does not parse.
    public static func redact(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let schemeEnd = text.range(of: "://") else { return text }
        let userinfo = text[schemeEnd.upperBound..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    /// The same server and credentials, another database.
    public func with(database: String) -> PostgresURL {
        var u = self
        u.database = database
        return u
    }

    /// The same server, another user.
    public func with(user: String, password: String?) -> PostgresURL {
        var u = self
        u.user = user
        u.password = password
        return u
    }

    /// A single connection's configuration (for probing credentials without the pool, whose
    /// retries would hide a wrong password behind a minute of backoff).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if let unixSocket {
            return .init(unixSocketPath: unixSocket + "/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require":
            var t = TLSConfiguration.makeClientConfiguration()
            if let sslRootCert { t.trustRoots = .file(sslRootCert) }
            tls = .require(try NIOSSLContext(configuration: t))
        default: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var config = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        config.options.connectTimeout = .seconds(5)
        return config
    }

    /// The postgres-nio client configuration.
    public func clientConfiguration(maxConnections: Int = 20) throws -> PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        if let unixSocket {
            config = .init(unixSocketPath: unixSocket + "/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch sslMode {
            case "disable": tls = .disable
            case "require":
                var t = TLSConfiguration.makeClientConfiguration()
                if let sslRootCert { t.trustRoots = .file(sslRootCert) }
                tls = .require(t)
            default: tls = .prefer(.makeClientConfiguration())
            }
            config = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        config.options.maximumConnections = maxConnections
        config.options.connectTimeout = .seconds(5)
        return config
    }
}
