// The scanner is hand-written over UTF-8 bytes: no maintained library for secret scanning exists for Swift, and it
// runs on every string of every ingested event, where neither Foundation's NSRegularExpression nor Swift `Regex` is
// fast enough. The token formats are the public facts documented by their issuers; see `SecretKind`.
//
// Cost: one pass over the bytes. Most bytes only go through the `switch` in `redacted(_:record:)`; the few trigger
// bytes (the first letters of the known prefixes, `-` and `:`) get a short comparison. Every matcher either has a
// bounded length or starts at a boundary that its own token characters cannot precede, so no byte is examined more
// than a small constant number of times: the scan stays linear even on adversarial input. Nothing is allocated and
// the string is returned untouched unless a secret is found.

/// Finds credentials inside free text and replaces them by `[REDACTED:<kind>]` markers (see ``SecretKind`` for the
/// exact shapes).
public enum SecretScanner {
    /// `text` with every recognized credential replaced by its kind's ``SecretKind/marker``, and how many of each kind
    /// were replaced; `nil` when `text` contains none (the common case, which costs no allocation).
    ///
    /// Redaction is idempotent: markers are never matched, so redacting an already redacted text finds nothing.
    public static func redact(_ text: String) -> (text: String, counts: [SecretKind: Int])? {
        var counts: [SecretKind: Int] = [:]
        guard let redacted = redacted(text, record: { counts[$0, default: 0] += 1 }) else { return nil }
        return (redacted, counts)
    }

    /// The shortest text that can contain a secret (`a://:p@`, a password in a URL).
    static let minimumLength = 7

    /// `text` with its secrets replaced, calling `record` once per replacement, or `nil` when there is none.
    static func redacted(_ text: String, record: (SecretKind) -> Void) -> String? {
        guard text.utf8.count >= minimumLength else { return nil }
        var text = text  // a local copy of the reference, so that `withUTF8` does not copy native storage
        let bytes: [UInt8]? = text.withUTF8 { input in redacted(bytes: input, record: record) }
        // Matches start and end next to ASCII bytes (or at the end), so the output is valid UTF-8.
        return bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    /// ``redacted(_:record:)`` on the UTF-8 bytes of a text: the new bytes, or `nil` when there is no secret.
    static func redacted(bytes input: UnsafeBufferPointer<UInt8>, record: (SecretKind) -> Void) -> [UInt8]? {
        guard input.count >= minimumLength else { return nil }
        do {
            var output: [UInt8] = []
            var found = false
            var copied = 0
            var index = 0
            while index < input.count {
                switch input[index] {
                case UInt8(ascii: "A"), UInt8(ascii: "a"), UInt8(ascii: "g"), UInt8(ascii: "x"), UInt8(ascii: "s"),
                    UInt8(ascii: "r"), UInt8(ascii: "e"), UInt8(ascii: "B"), UInt8(ascii: "b"), UInt8(ascii: "-"),
                    UInt8(ascii: ":"):
                    guard let hit = match(input, at: index) else {
                        index += 1
                        continue
                    }
                    if !found {
                        found = true
                        output.reserveCapacity(input.count + 32)
                    }
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: input[copied..<hit.start]))
                    output.append(contentsOf: hit.kind.marker.utf8)
                    copied = hit.end
                    index = hit.end
                    record(hit.kind)
                default:
                    index += 1
                }
            }
            guard found else { return nil }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: input[copied...]))
            return output
        }
    }

    /// One match: `start..<end` is replaced by the kind's marker and the scan resumes at `end`.
    struct Match {
        var kind: SecretKind
        var start: Int
        var end: Int
    }

    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// The match that starts with the trigger byte at `i`, if any, trying the kinds in ``SecretKind`` order.
    static func match(_ s: Bytes, at i: Int) -> Match? {
        switch s[i] {
        case UInt8(ascii: "A"):
            guard boundary(s, i) else { return nil }
            return awsAccessKeyID(s, i) ?? awsSecretAccessKey(s, i) ?? googleAPIKey(s, i)
        case UInt8(ascii: "a"):
            return boundary(s, i) ? awsSecretAccessKey(s, i) : nil
        case UInt8(ascii: "g"):
            return boundary(s, i) ? githubToken(s, i) : nil
        case UInt8(ascii: "x"):
            return boundary(s, i) ? slackToken(s, i) : nil
        case UInt8(ascii: "s"):
            if boundary(s, i), let found = stripeKey(s, i) { return found }
            return tokenBoundary(s, i) ? skDashKey(s, i) : nil
        case UInt8(ascii: "r"):
            return boundary(s, i) ? stripeKey(s, i) : nil
        case UInt8(ascii: "e"):
            return tokenBoundary(s, i) ? jwt(s, i) : nil
        case UInt8(ascii: "B"), UInt8(ascii: "b"):
            return boundary(s, i) ? bearerToken(s, i) : nil
        case UInt8(ascii: "-"):
            return privateKey(s, i)
        case UInt8(ascii: ":"):
            return basicAuthURL(s, i)
        default:
            return nil
        }
    }

    // MARK: - Matchers (each is called with the trigger byte at `i` and its boundary already checked)

    static func awsAccessKeyID(_ s: Bytes, _ i: Int) -> Match? {
        guard i + 20 <= s.count,
            has(s, i, "AKIA") || has(s, i, "ASIA") || has(s, i, "AGPA") || has(s, i, "AIDA")
                || has(s, i, "AROA") || has(s, i, "ANPA") || has(s, i, "ANVA") || has(s, i, "AIPA")
        else { return nil }
        for k in (i + 4)..<(i + 20) where !isUpperOrDigit(s[k]) { return nil }
        guard i + 20 == s.count || !isAlnum(s[i + 20]) else { return nil }
        return Match(kind: .awsAccessKeyID, start: i, end: i + 20)
    }

    static func awsSecretAccessKey(_ s: Bytes, _ i: Int) -> Match? {
        guard hasIgnoringCase(s, i, "aws_secret_access_key") else { return nil }
        var j = i + 21
        if j < s.count, isQuote(s[j]) { j += 1 }
        j = run(s, from: j, while: isSpace)
        guard j < s.count, s[j] == UInt8(ascii: "=") || s[j] == UInt8(ascii: ":") else { return nil }
        j = run(s, from: j + 1, while: isSpace)
        if j < s.count, isQuote(s[j]) { j += 1 }
        guard j + 40 <= s.count else { return nil }
        for k in j..<(j + 40) where !isAWSSecretCharacter(s[k]) { return nil }
        guard j + 40 == s.count || !isAWSSecretCharacter(s[j + 40]) else { return nil }
        return Match(kind: .awsSecretAccessKey, start: j, end: j + 40)
    }

    static func googleAPIKey(_ s: Bytes, _ i: Int) -> Match? {
        guard i + 39 <= s.count, has(s, i, "AIza") else { return nil }
        for k in (i + 4)..<(i + 39) where !isBase64URL(s[k]) { return nil }
        guard i + 39 == s.count || !isBase64URL(s[i + 39]) else { return nil }
        return Match(kind: .googleAPIKey, start: i, end: i + 39)
    }

    static func githubToken(_ s: Bytes, _ i: Int) -> Match? {
        if i + 4 <= s.count, s[i + 1] == UInt8(ascii: "h"), s[i + 3] == UInt8(ascii: "_") {
            switch s[i + 2] {
            case UInt8(ascii: "p"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "s"), UInt8(ascii: "r"):
                let end = run(s, from: i + 4, while: isAlnum)
                return end - (i + 4) >= 36 ? Match(kind: .githubToken, start: i, end: end) : nil
            default:
                return nil
            }
        }
        guard has(s, i, "github_pat_") else { return nil }
        let end = run(s, from: i + 11, while: isAlnumOrUnderscore)
        return end - (i + 11) >= 22 ? Match(kind: .githubToken, start: i, end: end) : nil
    }

    static func slackToken(_ s: Bytes, _ i: Int) -> Match? {
        guard i + 5 <= s.count, has(s, i, "xox"), s[i + 4] == UInt8(ascii: "-") else { return nil }
        switch s[i + 3] {
        case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "p"), UInt8(ascii: "r"), UInt8(ascii: "s"):
            let end = run(s, from: i + 5, while: { isAlnum($0) || $0 == UInt8(ascii: "-") })
            return end - (i + 5) >= 10 ? Match(kind: .slackToken, start: i, end: end) : nil
        default:
            return nil
        }
    }

    static func stripeKey(_ s: Bytes, _ i: Int) -> Match? {
        guard has(s, i + 1, "k_live_") else { return nil }  // `s` or `r` is at `i`
        let end = run(s, from: i + 8, while: isAlnum)
        return end - (i + 8) >= 16 ? Match(kind: .stripeKey, start: i, end: end) : nil
    }

    /// `sk-ant-…` (Anthropic) or else `sk-…` (OpenAI).
    static func skDashKey(_ s: Bytes, _ i: Int) -> Match? {
        guard has(s, i, "sk-") else { return nil }
        if has(s, i + 3, "ant-") {
            let end = run(s, from: i + 7, while: isBase64URL)
            return end - (i + 7) >= 20 ? Match(kind: .anthropicAPIKey, start: i, end: end) : nil
        }
        var mixed = false
        let end = run(s, from: i + 3) { byte in
            if isUpperOrDigit(byte) { mixed = true }
            return isBase64URL(byte)
        }
        return end - (i + 3) >= 20 && mixed ? Match(kind: .openAIAPIKey, start: i, end: end) : nil
    }

    static func jwt(_ s: Bytes, _ i: Int) -> Match? {
        guard has(s, i, "eyJ") else { return nil }
        let header = run(s, from: i, while: isBase64URL)
        guard header - i >= 10, header < s.count, s[header] == UInt8(ascii: "."), has(s, header + 1, "eyJ") else { return nil }
        let payload = run(s, from: header + 1, while: isBase64URL)
        guard payload - (header + 1) >= 10, payload < s.count, s[payload] == UInt8(ascii: ".") else { return nil }
        let signature = run(s, from: payload + 1, while: isBase64URL)
        return signature - (payload + 1) >= 10 ? Match(kind: .jwt, start: i, end: signature) : nil
    }

    static func bearerToken(_ s: Bytes, _ i: Int) -> Match? {
        guard hasIgnoringCase(s, i, "bearer") else { return nil }
        let start = run(s, from: i + 6, while: isSpace)
        guard start > i + 6 else { return nil }
        let end = run(s, from: start, while: isBearerCharacter)
        return end - start >= 16 ? Match(kind: .bearerToken, start: start, end: end) : nil
    }

    static func privateKey(_ s: Bytes, _ i: Int) -> Match? {
        guard has(s, i, "-----BEGIN "), let headerEnd = privateKeyLabelEnd(s, from: i + 11) else { return nil }
        var k = headerEnd
        while k < s.count {
            if s[k] == UInt8(ascii: "-"), has(s, k, "-----END "), let end = privateKeyLabelEnd(s, from: k + 9) {
                return Match(kind: .privateKey, start: i, end: end)
            }
            k += 1
        }
        return Match(kind: .privateKey, start: i, end: s.count)
    }

    /// After `-----BEGIN ` or `-----END `: the end of `[A-Z ]*PRIVATE KEY-----`, or `nil`.
    static func privateKeyLabelEnd(_ s: Bytes, from start: Int) -> Int? {
        let labelEnd = run(s, from: start) { isUpper($0) || $0 == UInt8(ascii: " ") }
        guard labelEnd - start >= 11, has(s, labelEnd - 11, "PRIVATE KEY"), has(s, labelEnd, "-----") else { return nil }
        return labelEnd + 5
    }

    static func basicAuthURL(_ s: Bytes, _ i: Int) -> Match? {
        guard i > 0, isAlnum(s[i - 1]), has(s, i, "://") else { return nil }
        let authorityStart = i + 3
        let authorityEnd = run(s, from: authorityStart, while: isAuthorityCharacter)
        var at = authorityEnd - 1
        while at >= authorityStart && s[at] != UInt8(ascii: "@") { at -= 1 }
        guard at >= authorityStart else { return nil }
        var colon = authorityStart
        while colon < at && s[colon] != UInt8(ascii: ":") { colon += 1 }
        let passwordStart = colon + 1
        guard passwordStart < at else { return nil }  // no `:`, or an empty password
        let password = UnsafeBufferPointer(rebasing: s[passwordStart..<at])
        guard !password.elementsEqual(SecretKind.basicAuthURL.marker.utf8) else { return nil }
        return Match(kind: .basicAuthURL, start: passwordStart, end: at)
    }

    // MARK: - Byte helpers

    /// `true` when no ASCII letter or digit precedes `i`.
    @inline(__always) static func boundary(_ s: Bytes, _ i: Int) -> Bool {
        i == 0 || !isAlnum(s[i - 1])
    }

    /// `true` when no ASCII letter, digit, `_` or `-` precedes `i` (for tokens that may contain `_` and `-`).
    @inline(__always) static func tokenBoundary(_ s: Bytes, _ i: Int) -> Bool {
        i == 0 || !isBase64URL(s[i - 1])
    }

    /// `true` when `literal` occurs in `s` at `i`.
    @inline(__always) static func has(_ s: Bytes, _ i: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i >= 0, i + count <= s.count else { return false }
        let pattern = literal.utf8Start
        for k in 0..<count where s[i + k] != pattern[k] { return false }
        return true
    }

    /// `true` when `literal` (lower-case ASCII) occurs in `s` at `i`, ignoring the case of ASCII letters.
    @inline(__always) static func hasIgnoringCase(_ s: Bytes, _ i: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= s.count else { return false }
        let pattern = literal.utf8Start
        for k in 0..<count {
            let byte = s[i + k]
            if (isUpper(byte) ? byte | 0x20 : byte) != pattern[k] { return false }
        }
        return true
    }

    /// The index of the first byte at or after `start` that does not satisfy `predicate` (or `s.count`).
    @inline(__always) static func run(_ s: Bytes, from start: Int, while predicate: (UInt8) -> Bool) -> Int {
        var k = start
        while k < s.count && predicate(s[k]) { k += 1 }
        return k
    }

    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b &- UInt8(ascii: "A") < 26 }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b &- UInt8(ascii: "a") < 26 }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
    @inline(__always) static func isUpperOrDigit(_ b: UInt8) -> Bool { isUpper(b) || isDigit(b) }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isLower(b) || isUpper(b) || isDigit(b) }
    @inline(__always) static func isAlnumOrUnderscore(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: "_") }
    @inline(__always) static func isBase64URL(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
    @inline(__always) static func isQuote(_ b: UInt8) -> Bool { b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") }

    @inline(__always) static func isAWSSecretCharacter(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: "/") || b == UInt8(ascii: "+") || b == UInt8(ascii: "=")
    }

    @inline(__always) static func isBearerCharacter(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"),
            UInt8(ascii: "="), UInt8(ascii: "-"):
            return true
        default:
            return isAlnum(b)
        }
    }

    @inline(__always) static func isAuthorityCharacter(_ b: UInt8) -> Bool {
        switch b {
        case 0..<0x21, 0x7F, UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "\""), UInt8(ascii: "'"),
            UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\\"), UInt8(ascii: "`"):
            return false
        default:
            return true
        }
    }
}
