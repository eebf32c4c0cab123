/// Small helpers for HTTP field values on the request path. Foundation's
/// `trimmingCharacters(in: .whitespaces)` and a `lowercased()` copy on every request had taken
/// about 2% of the server's CPU with single-event requests (perf, 2026-12-03).
enum HeaderValue {
    /// `value` without leading and trailing optional whitespace (RFC 9110 §5.6.3: spaces and tabs).
    static func trimmed(_ value: Substring) -> Substring {
        let bytes = value.utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start = bytes.index(after: start) }
        while end > start {
            let before = bytes.index(before: end)
            guard bytes[before] == 0x20 || bytes[before] == 0x09 else { break }
            end = before
        }
        return value[start..<end]
    }

    /// The media type of a `Content-Type` value (before any `;` parameters), trimmed and in lower
    /// case: `"Application/JSON; charset=utf-8"` → `"application/json"`.
    static func mediaType(_ contentType: String?) -> String {
        guard let contentType else { return "" }
        let type = trimmed(contentType.prefix { $0 != ";" })
        return type.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? type.lowercased() : String(type)
    }

    /// Whether `value` equals the lower-case ASCII `lower`, ignoring ASCII case.
    static func equalsIgnoringCase(_ value: Substring, _ lower: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lower.utf8Start, count: lower.utf8CodeUnitCount)
        guard value.utf8.count == expected.count else { return false }
        return zip(value.utf8, expected).allSatisfy { a, b in (a >= 0x41 && a <= 0x5A ? a | 0x20 : a) == b }
    }
}
