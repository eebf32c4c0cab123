import AttestCore
import Crypto

/// Protects the sensitive data of an audit event before it is hashed into the ledger, under a ``RedactionPolicy``
/// and a per-tenant HMAC key.
///
/// ``apply(to:)`` replaces the values at sensitive member names and at the policy's pointers by
/// `{"hmac":"hmac-sha256:<64 lower-case hex>"}` (see ``hmac(_:)``), and credentials found inside the other scanned
/// strings by `[REDACTED:<kind>]` (see ``SecretKind``). The event's exempt top-level members are never touched (see
/// ``RedactionPolicy``). The result is deterministic: the same event, policy and key always give the same bytes.
///
/// Applying twice is the same as applying once: an `{"hmac": …}` object of the exact shape above is recognized and
/// left alone wherever it is, and `[REDACTED:…]` markers are never matched again.
public struct Redactor: Sendable {
    /// The policy this redactor applies.
    public let policy: RedactionPolicy

    /// The smallest accepted key length, in bytes.
    public static let minimumKeyLength = 32

    private let key: SymmetricKey
    let keyNames: KeyNameMatcher
    let pointers: PointerTrie?

    /// Creates a redactor for one tenant.
    ///
    /// - Parameters:
    ///   - policy: what to protect.
    ///   - key: the tenant's HMAC key. **Precondition:** at least ``minimumKeyLength`` (32) bytes; a shorter key is a
    ///     programming or configuration error and traps (keys come from `TenantKeys`, which always derives 32 bytes).
    public init(policy: RedactionPolicy, key: [UInt8]) {
        precondition(
            key.count >= Redactor.minimumKeyLength,
            "Redactor: the HMAC key must be at least \(Redactor.minimumKeyLength) bytes, got \(key.count)"
        )
        self.policy = policy
        self.key = SymmetricKey(data: key)
        self.keyNames = KeyNameMatcher(names: policy.sensitiveKeys, suffixes: policy.sensitiveSuffixes)
        let trie = PointerTrie(policy.pointers)
        self.pointers = trie.children.isEmpty ? nil : trie
    }

    /// The HMAC that replaces `value`: `"hmac-sha256:"` followed by the 64 lower-case hexadecimal digits of
    /// HMAC-SHA256 (RFC 2104) under the tenant's key, of this input:
    ///
    /// - for a **string**, the UTF-8 bytes of the string itself: no quotes, no JSON escaping, no Unicode
    ///   normalization (`"hunter2"` → the 7 bytes `hunter2`);
    /// - for **any other value** (number, boolean, null, array, object), its RFC 8785 (JCS) canonical JSON bytes,
    ///   ``JSONValue/canonicalBytes`` (`{"b":1,"a":"x"}` → `{"a":"x","b":1}`; `1.0` → `1`; strings inside are quoted
    ///   and escaped as JCS says).
    ///
    /// So an auditor who holds a candidate value computes `HMAC-SHA256(key, input)` the same way (or asks the server
    /// to) and compares. Note that a string and a non-string with the same text share an HMAC (`"42"` and `42`,
    /// `"true"` and `true`): the HMAC stands for the text, not for its JSON type.
    public func hmac(_ value: JSONValue) -> String {
        let input: [UInt8]
        if case .string(let string) = value {
            input = Array(string.utf8)
        } else {
            input = value.canonicalBytes
        }
        return hmac(input: input)
    }

    /// ``hmac(_:)`` of its input bytes (a string's UTF-8, or another value's canonical JSON).
    func hmac(input: [UInt8]) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: input, using: key)
        var text: [UInt8] = Array(Self.hmacPrefix.utf8)
        text.reserveCapacity(Self.hmacPrefix.utf8.count + 64)
        let digits: StaticString = "0123456789abcdef"
        for byte in code {
            text.append(digits.utf8Start[Int(byte >> 4)])
            text.append(digits.utf8Start[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Returns `event` with its sensitive values protected, and what was changed.
    ///
    /// The walk is top-down. At each object member (outside exempt top-level members) and each array element:
    /// 1. if a configured pointer ends there, or (members only) the member name is sensitive, the value is replaced
    ///    whole by `{"hmac": …}`, unless it already is such an object; nothing inside it is examined further;
    /// 2. otherwise objects and arrays are walked, and strings are scanned for secret shapes when
    ///    ``RedactionPolicy/redactSecretShapes`` is on. An existing `{"hmac": …}` object is left as it is.
    ///
    /// Object keys are never changed; numbers, booleans and null are only ever replaced whole (step 1). Values that
    /// do not change are returned as they are, without a copy.
    public func apply(to event: JSONValue) -> (JSONValue, RedactionReport) {
        var walk = Walk(redactor: self)
        let result: JSONValue?
        if case .object(let members) = event {
            result = walk.object(members, pointers: pointers, exempt: policy.exemptTopLevelKeys).map(JSONValue.object)
        } else {
            result = walk.value(event, pointers: pointers)
        }
        return (result ?? event, walk.report)
    }

    /// `true` when `value` is exactly `{"hmac":"hmac-sha256:<64 lower-case hex digits>"}`.
    public static func isHMACObject(_ value: JSONValue) -> Bool {
        guard case .object(let members) = value else { return false }
        return isHMACObject(members)
    }

    // MARK: - Internals

    static let hmacPrefix = "hmac-sha256:"

    fileprivate static func isHMACObject(_ members: [String: JSONValue]) -> Bool {
        guard members.count == 1, case .string(let text)? = members["hmac"] else { return false }
        let utf8 = text.utf8
        guard utf8.count == hmacPrefix.utf8.count + 64, utf8.starts(with: hmacPrefix.utf8) else { return false }
        return utf8.dropFirst(hmacPrefix.utf8.count).allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
        }
    }

    /// One call of ``apply(to:)``: the changes made so far.
    private struct Walk {
        let redactor: Redactor
        /// The reference tokens of each replaced value, innermost first (completed while the recursion unwinds).
        var replaced: [[String]] = []
        var counts: [String: Int] = [:]

        init(redactor: Redactor) {
            self.redactor = redactor
        }

        var report: RedactionReport {
            let pointers = replaced.map { JSONPointer(tokens: $0.reversed()) }.sorted()
            return RedactionReport(hmacPointers: pointers.map(\.description), redactions: counts)
        }

        /// The new value of `value`, or `nil` when it is unchanged.
        mutating func value(_ value: JSONValue, pointers: PointerTrie?) -> JSONValue? {
            switch value {
            case .string(let text):
                guard redactor.policy.redactSecretShapes else { return nil }
                return SecretScanner.redacted(text) { counts[$0.rawValue, default: 0] += 1 }.map(JSONValue.string)
            case .array(let elements):
                return array(elements, pointers: pointers).map(JSONValue.array)
            case .object(let members):
                guard !Redactor.isHMACObject(members) else { return nil }
                return object(members, pointers: pointers, exempt: nil).map(JSONValue.object)
            case .null, .bool, .int, .double:
                return nil
            }
        }

        /// The new members, or `nil` when none changed. Members named in `exempt` are skipped.
        mutating func object(_ members: [String: JSONValue], pointers: PointerTrie?, exempt: Set<String>?) -> [String: JSONValue]? {
            var result: [String: JSONValue]?
            for (key, child) in members {
                if let exempt, exempt.contains(key) { continue }
                let childPointers = pointers?.children[key]
                let replace = childPointers?.isTarget == true || redactor.keyNames.matches(key)
                if let new = self.child(child, key: key, index: 0, replace: replace, pointers: childPointers) {
                    if result == nil { result = members }
                    result![key] = new
                }
            }
            return result
        }

        /// The new elements, or `nil` when none changed.
        mutating func array(_ elements: [JSONValue], pointers: PointerTrie?) -> [JSONValue]? {
            var result: [JSONValue]?
            let hasPointers = pointers.map { !$0.children.isEmpty } ?? false
            for (index, element) in elements.enumerated() {
                let childPointers = hasPointers ? pointers?.children[String(index)] : nil
                let replace = childPointers?.isTarget == true
                if let new = child(element, key: nil, index: index, replace: replace, pointers: childPointers) {
                    if result == nil { result = elements }
                    result![index] = new
                }
            }
            return result
        }

        /// The new value of the member `key`, or of the element at `index` when `key` is `nil`, recording what changed.
        /// (The reference token is only spelled out when something changed.)
        private mutating func child(_ value: JSONValue, key: String?, index: Int, replace: Bool, pointers: PointerTrie?) -> JSONValue? {
            if replace {
                guard !Redactor.isHMACObject(value) else { return nil }
                replaced.append([key ?? String(index)])
                return .object(["hmac": .string(redactor.hmac(value))])
            }
            let before = replaced.count
            let new = self.value(value, pointers: pointers)
            if replaced.count > before {
                let token = key ?? String(index)
                for k in before..<replaced.count { replaced[k].append(token) }
            }
            return new
        }
    }
}
