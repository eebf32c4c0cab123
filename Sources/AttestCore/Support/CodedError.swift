/// An error that is a value with a stable code and a human reason (the house style, after
/// swift-certificates and swift-service-lifecycle): equal and hashed by code alone, so tests and
/// callers can match on the code while the reason stays free to improve.
public protocol CodedError: Error, Hashable, Sendable, CustomStringConvertible {
    associatedtype Code: Hashable & Sendable
    /// What kind of failure this is.
    var code: Code { get }
    /// What went wrong, in words. Never carries secrets.
    var reason: String { get }
}

extension CodedError {
    public var description: String { reason }
    public static func == (a: Self, b: Self) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
