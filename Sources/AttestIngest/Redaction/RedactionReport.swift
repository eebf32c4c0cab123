/// What ``Redactor/apply(to:)`` changed in one event.
public struct RedactionReport: Sendable, Hashable {
    /// The RFC 6901 pointers of the values that were replaced by `{"hmac": …}` in this call, sorted (token by
    /// token, in RFC 8785 key order). Values that already were such an object are not listed.
    public var hmacPointers: [String]

    /// How many secret shapes were replaced by `[REDACTED:<kind>]`, by ``SecretKind`` raw value (`"jwt"`, …).
    /// Kinds that did not occur are absent.
    public var redactions: [String: Int]

    /// Creates a report.
    public init(hmacPointers: [String] = [], redactions: [String: Int] = [:]) {
        self.hmacPointers = hmacPointers
        self.redactions = redactions
    }

    /// `true` when nothing was changed.
    public var isEmpty: Bool { hmacPointers.isEmpty && redactions.isEmpty }

    /// The number of secret shapes replaced, over all kinds.
    public var redactionCount: Int { redactions.values.reduce(0, +) }
}
