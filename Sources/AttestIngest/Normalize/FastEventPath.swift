import AttestCore
import Foundation

/// The byte path of ingest: checks, protects and serializes the events of a request body without
/// building `JSONValue` trees.
///
/// Parsing each event into a tree of dictionaries, walking it three times (schema, redaction,
/// canonical form) and freeing it took about 40% of the server's CPU with batches of 100
/// (docs/PERFORMANCE.md, "REST ingest"). This path reads the body once into a flat list of nodes that
/// point into the body's bytes, and does the same work on it. It is hand-written (no library
/// parses JSON into such a form and does RFC 8785 from it), and it is deliberately narrow: it
/// takes a batch only when it is certain to produce exactly what the tree path
/// (``IngestNormalizer/normalize(_:problems:tenant:receivedAt:makeID:)``) would, and otherwise
/// returns `nil` so that the tree path, the reference, takes the whole batch (and reports its
/// problems). It leaves to the tree path:
///
/// - any key with an escape or a non-ASCII byte (RFC 8785 sorts keys by UTF-16 units, and Swift
///   compares keys by canonical equivalence; plain ASCII keys need neither);
/// - any string value the tree parser refuses (an invalid escape, a lone surrogate, invalid UTF-8,
///   a raw control character). A string value with escapes is decoded by ``JSONParser`` itself,
///   so that it is exactly the tree path's string, into ``Document/side``; a value with only
///   non-ASCII bytes is checked by it and stays in the body (valid UTF-8 without escapes is its
///   own canonical form);
/// - any number but a plain integer of at most 15 digits (fractions, exponents, `-0`, large
///   integers have their own canonical spelling);
/// - duplicate keys, nesting deeper than 60, strings over 1 MiB (the tree parser's errors);
/// - any event with a schema problem, and a reserved action;
/// - strings at a schema length limit that count differently in characters than in bytes;
/// - a redaction inside the members the query index reads (`resource`, `outcome`, `risk`).
///
/// Tests compare the two paths on generated and mutated events, byte for byte.
struct FastEventPath {
    let redactor: Redactor
    let ingestKind: String

    enum Kind: UInt8 {
        case null, literal, int, string, array, object
    }

    /// One value of the document. Strings and literals are byte ranges of the input; containers
    /// list their children through `next` (the node after a subtree) and `members`.
    struct Node {
        var kind: Kind
        /// The value's bytes: a string's content without its quotes, a literal's or number's text.
        var start: Int
        var end: Int
        /// The index of the node after this value's subtree (its next sibling).
        var next: Int = 0
        /// Members or elements.
        var count: Int = 0
        /// For an object: where its members, sorted by key, start in ``Document/sortedMembers``.
        var sorted: Int = 0
        /// For a member of an object: its key's bytes (without quotes).
        var keyStart: Int = -1
        var keyEnd: Int = -1
        /// Index into ``Document/replacements`` when redaction replaced this value, else -1.
        var replacement: Int = -1
        /// For a string: `start..<end` is its decoded UTF-8 in ``Document/side`` (it had escapes)
        /// rather than its bytes in the body, and it is written with RFC 8785's escaping.
        var side = false
    }

    /// One parsed event (or a batch array) over the body's bytes.
    struct Document {
        var nodes: [Node] = []
        var sortedMembers: [Int] = []
        var replacements: [[UInt8]] = []
        /// The decoded UTF-8 of the string values that had escapes.
        var side: [UInt8] = []
    }

    /// Where the bytes of a document's values are: the body, or the side buffer of decoded strings.
    struct Source {
        let body: UnsafeBufferPointer<UInt8>
        let side: UnsafeBufferPointer<UInt8>

        /// The bytes of a string (decoded), literal or number.
        func value(_ node: Node) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: (node.side ? side : body)[node.start..<node.end])
        }
    }

    static let maxDepth = 60
    static let maxStringBytes = 1024 * 1024
    static let maxIntegerDigits = 15

    // MARK: Parsing

    struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i: Int
        let end: Int
        var doc = Document()

        init(_ b: UnsafeBufferPointer<UInt8>, from: Int, to: Int) {
            self.b = b
            i = from
            end = to
            doc.nodes.reserveCapacity(64)
        }

        mutating func skipWhitespace() {
            while i < end {
                switch b[i] {
                case 0x20, 0x0A, 0x0D, 0x09: i += 1
                default: return
                }
            }
        }

        /// The whole range as one value with nothing but whitespace around it.
        mutating func document() -> Bool {
            guard value(depth: 0, keyStart: -1, keyEnd: -1) else { return false }
            skipWhitespace()
            return i == end
        }

        mutating func value(depth: Int, keyStart: Int, keyEnd: Int) -> Bool {
            guard depth <= FastEventPath.maxDepth else { return false }
            skipWhitespace()
            guard i < end else { return false }
            let me = doc.nodes.count
            switch b[i] {
            case UInt8(ascii: "{"):
                doc.nodes.append(Node(kind: .object, start: i, end: i, keyStart: keyStart, keyEnd: keyEnd))
                i += 1
                skipWhitespace()
                var count = 0
                if i < end && b[i] == UInt8(ascii: "}") {
                    i += 1
                } else {
                    while true {
                        skipWhitespace()
                        guard i < end, b[i] == UInt8(ascii: "\""), let (ks, ke) = string(key: true) else { return false }
                        skipWhitespace()
                        guard i < end, b[i] == UInt8(ascii: ":") else { return false }
                        i += 1
                        guard value(depth: depth + 1, keyStart: ks, keyEnd: ke) else { return false }
                        count += 1
                        skipWhitespace()
                        guard i < end else { return false }
                        if b[i] == UInt8(ascii: ",") {
                            i += 1
                            continue
                        }
                        guard b[i] == UInt8(ascii: "}") else { return false }
                        i += 1
                        break
                    }
                }
                doc.nodes[me].count = count
                doc.nodes[me].end = i
                doc.nodes[me].next = doc.nodes.count
                return sortMembers(me)
            case UInt8(ascii: "["):
                doc.nodes.append(Node(kind: .array, start: i, end: i, keyStart: keyStart, keyEnd: keyEnd))
                i += 1
                skipWhitespace()
                var count = 0
                if i < end && b[i] == UInt8(ascii: "]") {
                    i += 1
                } else {
                    while true {
                        guard value(depth: depth + 1, keyStart: -1, keyEnd: -1) else { return false }
                        count += 1
                        skipWhitespace()
                        guard i < end else { return false }
                        if b[i] == UInt8(ascii: ",") {
                            i += 1
                            continue
                        }
                        guard b[i] == UInt8(ascii: "]") else { return false }
                        i += 1
                        break
                    }
                }
                doc.nodes[me].count = count
                doc.nodes[me].end = i
                doc.nodes[me].next = doc.nodes.count
                return true
            case UInt8(ascii: "\""):
                guard let (s, e) = string() else { return false }
                var node = Node(kind: .string, start: s, end: e, next: me + 1, keyStart: keyStart, keyEnd: keyEnd)
                node.side = sideString
                doc.nodes.append(node)
                return true
            case UInt8(ascii: "t"):
                return literal("true", me, keyStart, keyEnd)
            case UInt8(ascii: "f"):
                return literal("false", me, keyStart, keyEnd)
            case UInt8(ascii: "n"):
                return literal("null", me, keyStart, keyEnd, kind: .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return integer(me, keyStart, keyEnd)
            default:
                return false
            }
        }

        /// Set by ``string()``: the range it returned is in ``Document/side``.
        var sideString = false

        /// A string: its content's range in the body when it has no escape (plain ASCII, or valid
        /// UTF-8), else the range of its decoded UTF-8 in ``Document/side`` (``sideString``). A
        /// key must be plain ASCII.
        mutating func string(key: Bool = false) -> (Int, Int)? {
            sideString = false
            i += 1
            let start = i
            // Eight bytes at a time while none is a quote, a backslash, a control or a non-ASCII byte.
            while i + 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self))
                let ones: UInt64 = 0x0101_0101_0101_0101
                let high: UInt64 = 0x8080_8080_8080_8080
                let quote = word ^ (ones &* 0x22)
                let slash = word ^ (ones &* 0x5C)
                let special =
                    ((quote &- ones) & ~quote) | ((slash &- ones) & ~slash) | (word &- ones &* 0x20) | word
                let found = special & high
                if found != 0 {
                    // Borrows only run upwards: the lowest flagged byte is the first special one.
                    i += found.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            while i < end {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    guard i - start <= FastEventPath.maxStringBytes else { return nil }
                    i += 1
                    return (start, i - 1)
                }
                if c == UInt8(ascii: "\\") || c >= 0x80 { return key ? nil : decodedString(start) }
                if c < 0x20 { return nil }
                i += 1
            }
            return nil
        }

        /// The rest of a string with an escape or a non-ASCII byte, which starts at `start` (after
        /// its quote): the tree parser decodes it, so that its text is exactly the tree path's.
        mutating func decodedString(_ start: Int) -> (Int, Int)? {
            var escaped = false
            while i < end {
                let c = b[i]
                if c == UInt8(ascii: "\"") { break }
                if c == UInt8(ascii: "\\") {
                    escaped = true
                    i += 1
                }
                i += 1
            }
            guard i < end else { return nil }
            i += 1
            let literal = UnsafeBufferPointer(rebasing: b[(start - 1)..<i])
            guard case .string(var text)? = try? JSONParser.parse(literal) else { return nil }
            guard escaped else { return (start, i - 1) }
            let from = doc.side.count
            text.withUTF8 { doc.side.append(contentsOf: $0) }
            sideString = true
            return (from, doc.side.count)
        }

        mutating func literal(_ text: StaticString, _ me: Int, _ ks: Int, _ ke: Int, kind: Kind = .literal) -> Bool {
            let n = text.utf8CodeUnitCount
            guard i + n <= end else { return false }
            for k in 0..<n where b[i + k] != text.utf8Start[k] { return false }
            doc.nodes.append(Node(kind: kind, start: i, end: i + n, next: me + 1, keyStart: ks, keyEnd: ke))
            i += n
            return true
        }

        /// A plain integer: `0`, or an optional minus and 1–15 digits not starting with 0 (so `-0`,
        /// fractions and exponents go to the tree path).
        mutating func integer(_ me: Int, _ ks: Int, _ ke: Int) -> Bool {
            let start = i
            if b[i] == UInt8(ascii: "-") { i += 1 }
            let digits = i
            while i < end, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
            let n = i - digits
            guard n >= 1, n <= FastEventPath.maxIntegerDigits else { return false }
            if b[digits] == UInt8(ascii: "0") && (n > 1 || digits > start) { return false }
            if i < end, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { return false }
            doc.nodes.append(Node(kind: .int, start: start, end: i, next: me + 1, keyStart: ks, keyEnd: ke))
            return true
        }

        /// Records the members of object `o` sorted by key (byte order, which is UTF-16 order for
        /// ASCII); `false` when two keys are equal.
        mutating func sortMembers(_ o: Int) -> Bool {
            let count = doc.nodes[o].count
            doc.nodes[o].sorted = doc.sortedMembers.count
            var m = o + 1
            for _ in 0..<count {
                doc.sortedMembers.append(m)
                m = doc.nodes[m].next
            }
            guard count > 1 else { return true }
            let from = doc.nodes[o].sorted
            let nodes = doc.nodes
            let b = self.b
            doc.sortedMembers[from..<(from + count)].sort { Self.compareKeys(b, nodes[$0], nodes[$1]) < 0 }
            for k in (from + 1)..<(from + count) where Self.compareKeys(b, nodes[doc.sortedMembers[k - 1]], nodes[doc.sortedMembers[k]]) == 0 {
                return false
            }
            return true
        }

        static func compareKeys(_ b: UnsafeBufferPointer<UInt8>, _ x: Node, _ y: Node) -> Int {
            let lx = x.keyEnd - x.keyStart
            let ly = y.keyEnd - y.keyStart
            return FastEventPath.compareBytes(b.baseAddress! + x.keyStart, lx, b.baseAddress! + y.keyStart, ly)
        }
    }

    // MARK: The batch

    /// The events of `body`, or `nil` when the tree path must take the batch.
    func normalize(
        body: [UInt8],
        framing: EventBatchParser.Framing,
        receivedAt: Timestamp,
        makeID: () -> String
    ) -> [AuditEvent]? {
        // The tree path fills in id and time before it redacts: a policy that could reach them
        // (they are exempt by default) is left to it.
        guard redactor.policy.exemptTopLevelKeys.contains("id"), redactor.policy.exemptTopLevelKeys.contains("time") else { return nil }
        return body.withUnsafeBufferPointer { b -> [AuditEvent]? in
            var events: [AuditEvent] = []
            switch framing {
            case .json:
                var p = Parser(b, from: 0, to: b.count)
                guard p.document() else { return nil }
                var doc = p.doc
                let side = doc.side
                return side.withUnsafeBufferPointer { side -> [AuditEvent]? in
                    let b = Source(body: b, side: side)
                    if doc.nodes[0].kind == .object {
                        guard let e = event(&doc, 0, b, receivedAt: receivedAt, makeID: makeID) else { return nil }
                        return [e]
                    }
                    guard doc.nodes[0].kind == .array, doc.nodes[0].count >= 1, doc.nodes[0].count <= EventBatchParser.maxEvents else {
                        return nil
                    }
                    events.reserveCapacity(doc.nodes[0].count)
                    var n = 1
                    for _ in 0..<doc.nodes[0].count {
                        guard doc.nodes[n].kind == .object, let e = event(&doc, n, b, receivedAt: receivedAt, makeID: makeID) else { return nil }
                        events.append(e)
                        n = doc.nodes[n].next
                    }
                    return events
                }
            case .ndjson:
                var start = 0
                var i = 0
                while i <= b.count {
                    if i == b.count || b[i] == 0x0A {
                        var e = i
                        if e > start && b[e - 1] == 0x0D { e -= 1 }
                        if (start..<e).contains(where: { b[$0] != 0x20 && b[$0] != 0x09 }) {
                            var p = Parser(b, from: start, to: e)
                            guard p.document(), p.doc.nodes[0].kind == .object, events.count < EventBatchParser.maxEvents else { return nil }
                            var doc = p.doc
                            let side = doc.side
                            let taken = side.withUnsafeBufferPointer { side -> AuditEvent? in
                                event(&doc, 0, Source(body: b, side: side), receivedAt: receivedAt, makeID: makeID)
                            }
                            guard let taken else { return nil }
                            events.append(taken)
                        }
                        start = i + 1
                    }
                    i += 1
                }
                return events.isEmpty ? nil : events
            }
        }
    }

    // MARK: One event

    /// The member of object `o` named `name`, if any.
    static func member(_ doc: Document, _ b: Source, _ o: Int, _ name: StaticString) -> Int? {
        let node = doc.nodes[o]
        guard node.kind == .object else { return nil }
        var m = o + 1
        for _ in 0..<node.count {
            let k = doc.nodes[m]
            if compareBytes(b.body.baseAddress! + k.keyStart, k.keyEnd - k.keyStart, name.utf8Start, name.utf8CodeUnitCount) == 0 {
                return m
            }
            m = k.next
        }
        return nil
    }

    static func text(_ b: Source, _ node: Node) -> String {
        String(decoding: b.value(node), as: UTF8.self)
    }

    static func key(_ b: Source, _ node: Node) -> String {
        String(decoding: keyBytes(b, node), as: UTF8.self)
    }

    /// A member's key, in place (keys on this path are plain ASCII without escapes).
    static func keyBytes(_ b: Source, _ node: Node) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: b.body[node.keyStart..<node.keyEnd])
    }

    func event(
        _ doc: inout Document,
        _ root: Int,
        _ b: Source,
        receivedAt: Timestamp,
        makeID: () -> String
    ) -> AuditEvent? {
        guard Self.valid(doc, b, root, Self.schema) else { return nil }
        if let a = Self.member(doc, b, root, "action"), Self.text(b, doc.nodes[a]) == KeyRotation.action { return nil }
        // Redaction, as Redactor.apply: the exempt top-level members are not walked.
        var walk = RedactionWalk(redactor: redactor, b: b)
        walk.object(&doc, root, trie: redactor.pointers, exempt: redactor.policy.exemptTopLevelKeys)
        // The query index reads these members, and the event's id and time come from them: an
        // event where redaction reached one (by default only resource, outcome and risk can be)
        // goes the tree path rather than reading them through replacements here.
        for name: StaticString in ["resource", "outcome", "risk", "action", "category", "actor", "on_behalf_of", "agent", "session", "id", "time"] {
            if let m = Self.member(doc, b, root, name), Self.touched(doc, m) { return nil }
        }
        let id: String
        var extra: [(key: StaticString, bytes: [UInt8])] = []
        if let m = Self.member(doc, b, root, "id") {
            id = Self.text(b, doc.nodes[m])
        } else {
            id = makeID()
            extra.append(("id", Self.canonicalString(id)))
        }
        let time: Timestamp
        if let m = Self.member(doc, b, root, "time") {
            guard let t = Timestamp(rfc3339: Self.text(b, doc.nodes[m])) else { return nil }
            time = t
        } else {
            time = receivedAt
            extra.append(("time", Self.canonicalString(receivedAt.rfc3339)))
        }
        if Self.member(doc, b, root, "source") == nil {
            var source = Array(#"{"ingest":"#.utf8)
            JSONValue.string(ingestKind).writeCanonical(into: &source)
            source.append(UInt8(ascii: "}"))
            extra.append(("source", source))
        }
        var out: [UInt8] = []
        // The event's own size (not the body's: every event of a batch keeps its bytes until it is committed).
        out.reserveCapacity(doc.nodes[root].end - doc.nodes[root].start + 160)
        Self.write(doc, b, root, into: &out, extra: extra)
        return AuditEvent(trustedCanonicalBytes: out, id: id, time: time, columns: Self.columns(doc, b, root))
    }

    /// `true` when redaction replaced node `n` or anything inside it.
    static func touched(_ doc: Document, _ n: Int) -> Bool {
        doc.nodes[n..<doc.nodes[n].next].contains { $0.replacement >= 0 }
    }

    static func columns(_ doc: Document, _ b: Source, _ root: Int) -> IndexColumns {
        func string(_ name: StaticString) -> String? {
            guard let m = member(doc, b, root, name), doc.nodes[m].kind == .string else { return nil }
            return text(b, doc.nodes[m])
        }
        func string(_ outer: StaticString, _ inner: StaticString) -> String? {
            guard let o = member(doc, b, root, outer), let m = member(doc, b, o, inner), doc.nodes[m].kind == .string else { return nil }
            return text(b, doc.nodes[m])
        }
        return IndexColumns(
            action: string("action") ?? "",
            category: string("category"),
            actorID: string("actor", "id") ?? "",
            onBehalfOfID: string("on_behalf_of", "id"),
            agentID: string("agent", "id") ?? string("agent", "name"),
            sessionID: string("session", "id"),
            resourceType: string("resource", "type"),
            resourceID: string("resource", "id"),
            outcome: string("outcome", "status"),
            risk: string("risk", "level").flatMap { EventSchema.riskLevels.firstIndex(of: $0) }
        )
    }

    // MARK: Schema

    /// `true` when node `n` is certainly valid against `type` (`false` also when only the tree
    /// path can tell, e.g. a string at its limit in bytes whose characters may be fewer).
    static func valid(_ doc: Document, _ b: Source, _ n: Int, _ type: ByteField) -> Bool {
        let node = doc.nodes[n]
        switch type {
        case .any:
            return true
        case .anyObject:
            return node.kind == .object
        case .string(let maxLength, let syntax):
            guard node.kind == .string, node.end - node.start <= maxLength else { return false }
            let bytes = b.value(node)
            switch syntax {
            case .any: return true
            case .identifier: return !bytes.isEmpty && !bytes.contains { $0 < 0x20 || $0 == 0x7F }
            case .dotted: return EventValidator.isDotted(utf8: bytes)
            case .rfc3339: return Timestamp(rfc3339: text(b, node)) != nil
            }
        case .oneOf(let allowed):
            return node.kind == .string && allowed.contains { ByteField.equal($0, b.value(node)) }
        case .integer(let min):
            guard node.kind == .int, let v = ByteField.int64(b.value(node)) else { return false }
            return v >= min
        case .number(let min):
            guard node.kind == .int, let v = ByteField.int64(b.value(node)) else { return false }
            return Double(v) >= min
        case .stringOrInteger(let maxLength):
            return node.kind == .int || (node.kind == .string && node.end - node.start <= maxLength)
        case .array(let element, let maxItems):
            guard node.kind == .array, node.count <= maxItems else { return false }
            var e = n + 1
            for _ in 0..<node.count {
                guard valid(doc, b, e, element) else { return false }
                e = doc.nodes[e].next
            }
            return true
        case .object(let object):
            guard node.kind == .object else { return false }
            var found = 0
            var m = n + 1
            for _ in 0..<node.count {
                guard let k = object.index(of: keyBytes(b, doc.nodes[m])), valid(doc, b, m, object.fields[k]) else { return false }
                if object.required[k] { found += 1 }
                m = doc.nodes[m].next
            }
            return found == object.requiredCount
        }
    }

    /// ``EventSchema/root`` for ``valid(_:_:_:_:)``.
    static let schema = ByteField(EventSchema.root)

    /// A ``FieldType`` whose objects name their fields by bytes: the byte path checks each key
    /// without making a `String` of it and hashing it (two thirds of the schema check's work
    /// before). Built once from the schema, so the two cannot disagree.
    indirect enum ByteField: Sendable {
        case any
        case anyObject
        case string(maxLength: Int, syntax: StringSyntax)
        case oneOf([[UInt8]])
        case integer(min: Int64)
        case number(min: Double)
        case stringOrInteger(maxLength: Int)
        case array(ByteField, maxItems: Int)
        case object(Object)

        struct Object: Sendable {
            let names: [[UInt8]]
            let fields: [ByteField]
            let required: [Bool]
            let requiredCount: Int

            /// The position of the field named `key`, if the schema has one.
            func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
                for k in names.indices where ByteField.equal(names[k], key) { return k }
                return nil
            }
        }

        init(_ type: FieldType) {
            switch type {
            case .any: self = .any
            case .anyObject: self = .anyObject
            case .string(let maxLength, let syntax): self = .string(maxLength: maxLength, syntax: syntax)
            case .oneOf(let allowed): self = .oneOf(allowed.map { Array($0.utf8) })
            case .integer(let min): self = .integer(min: min)
            case .number(let min): self = .number(min: min)
            case .stringOrInteger(let maxLength): self = .stringOrInteger(maxLength: maxLength)
            case .array(let element, let maxItems): self = .array(ByteField(element), maxItems: maxItems)
            case .object(let fields, let required):
                // Keys on the byte path are plain ASCII, where byte equality is `String` equality;
                // a schema name that is not plain ASCII could never match one.
                let names = fields.keys.sorted()
                self = .object(
                    Object(
                        names: names.map { Array($0.utf8) },
                        fields: names.map { ByteField(fields[$0]!) },
                        required: names.map { required.contains($0) },
                        requiredCount: required.count
                    )
                )
            }
        }

        static func equal(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
            // Bytes, not `String` equality: a value that differs only by canonical equivalence is
            // "not certain" here and goes the tree path, which decides.
            guard a.count == b.count else { return false }
            guard !b.isEmpty else { return true }
            return a.withUnsafeBufferPointer { memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 }
        }

        /// The value of an integer node's digits (at most 15, so it cannot overflow).
        static func int64(_ digits: UnsafeBufferPointer<UInt8>) -> Int64? {
            var k = 0
            let negative = digits.first == UInt8(ascii: "-")
            if negative { k = 1 }
            guard k < digits.count else { return nil }
            var v: Int64 = 0
            while k < digits.count {
                let d = digits[k] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                v = v * 10 + Int64(d)
                k += 1
            }
            return negative ? -v : v
        }
    }

    // MARK: Redaction

    /// ``Redactor``'s walk on the flat document: the same decisions, recorded as replacements.
    struct RedactionWalk {
        let redactor: Redactor
        let b: Source

        mutating func object(_ doc: inout Document, _ o: Int, trie: PointerTrie?, exempt: Set<String>?) {
            var m = o + 1
            for _ in 0..<doc.nodes[o].count {
                // A `String` of the key only where a set or the pointers' trie needs one (the top
                // level, or a policy with pointers): the name matcher reads the bytes.
                if let exempt, exempt.contains(FastEventPath.key(b, doc.nodes[m])) {
                    m = doc.nodes[m].next
                    continue
                }
                let childTrie = trie?.children[FastEventPath.key(b, doc.nodes[m])]
                let replace = childTrie?.isTarget == true || redactor.keyNames.matches(utf8: FastEventPath.keyBytes(b, doc.nodes[m]))
                child(&doc, m, replace: replace, trie: childTrie)
                m = doc.nodes[m].next
            }
        }

        mutating func array(_ doc: inout Document, _ a: Int, trie: PointerTrie?) {
            let hasPointers = trie.map { !$0.children.isEmpty } ?? false
            var e = a + 1
            for index in 0..<doc.nodes[a].count {
                let childTrie = hasPointers ? trie?.children[String(index)] : nil
                child(&doc, e, replace: childTrie?.isTarget == true, trie: childTrie)
                e = doc.nodes[e].next
            }
        }

        mutating func child(_ doc: inout Document, _ n: Int, replace: Bool, trie: PointerTrie?) {
            let node = doc.nodes[n]
            if replace {
                guard !isHMACObject(doc, n) else { return }
                // The HMAC input: a string's bytes, or any other value's canonical JSON as sent
                // (nothing inside it was replaced: the walk does not enter what it replaces).
                var input: [UInt8] = []
                if node.kind == .string {
                    input.append(contentsOf: b.value(node))
                } else {
                    FastEventPath.write(doc, b, n, into: &input, extra: [])
                }
                return replaceWith(&doc, n, hmacOf: input)
            }
            switch node.kind {
            case .string:
                guard redactor.policy.redactSecretShapes,
                    let new = SecretScanner.redacted(bytes: b.value(node), record: { _ in })
                else { return }
                doc.nodes[n].replacement = doc.replacements.count
                doc.replacements.append(FastEventPath.canonicalString(String(decoding: new, as: UTF8.self)))
            case .array:
                array(&doc, n, trie: trie)
            case .object:
                guard !isHMACObject(doc, n) else { return }
                object(&doc, n, trie: trie, exempt: nil)
            case .null, .literal, .int:
                return
            }
        }

        mutating func replaceWith(_ doc: inout Document, _ n: Int, hmacOf input: [UInt8]) {
            var bytes = Array(#"{"hmac":"#.utf8)
            JSONValue.string(redactor.hmac(input: input)).writeCanonical(into: &bytes)
            bytes.append(UInt8(ascii: "}"))
            doc.nodes[n].replacement = doc.replacements.count
            doc.replacements.append(bytes)
        }

        /// `{"hmac":"hmac-sha256:<64 lower-case hex>"}` exactly (``Redactor/isHMACObject(_:)``).
        func isHMACObject(_ doc: Document, _ n: Int) -> Bool {
            let node = doc.nodes[n]
            guard node.kind == .object, node.count == 1 else { return false }
            let v = doc.nodes[n + 1]
            guard v.kind == .string, FastEventPath.key(b, v) == "hmac" else { return false }
            let text = b.value(v)
            let prefix = Redactor.hmacPrefix.utf8
            guard text.count == prefix.count + 64, text.starts(with: prefix) else { return false }
            return text.dropFirst(prefix.count).allSatisfy {
                ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
            }
        }
    }

    // MARK: RFC 8785

    static func canonicalString(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONValue.string(s).writeCanonical(into: &out)
        return out
    }

    /// The RFC 8785 bytes of node `n` (replacements in place of what redaction replaced), with
    /// the members of `extra` added when `n` is the event (their keys are not among its own).
    static func write(
        _ doc: Document,
        _ b: Source,
        _ n: Int,
        into out: inout [UInt8],
        extra: [(key: StaticString, bytes: [UInt8])]
    ) {
        let node = doc.nodes[n]
        if node.replacement >= 0 {
            out.append(contentsOf: doc.replacements[node.replacement])
            return
        }
        switch node.kind {
        case .null, .literal, .int:
            out.append(contentsOf: b.value(node))
        case .string where node.side:
            JSONValue.writeCanonicalString(utf8: b.value(node), into: &out)
        case .string:
            // Valid UTF-8 without escapes, quotes, backslashes or controls is its own canonical form.
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: b.value(node))
            out.append(UInt8(ascii: "\""))
        case .array:
            out.append(UInt8(ascii: "["))
            var e = n + 1
            for k in 0..<node.count {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                write(doc, b, e, into: &out, extra: [])
                e = doc.nodes[e].next
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            out.append(UInt8(ascii: "{"))
            var pending = extra.sorted { compare($0.key, $1.key) < 0 }[...]
            var first = true
            func separate() {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
            }
            func flushExtra(before key: UnsafeBufferPointer<UInt8>?) {
                while let x = pending.first {
                    if let key, compare(x.key, key) > 0 { return }
                    separate()
                    out.append(UInt8(ascii: "\""))
                    out.append(contentsOf: UnsafeBufferPointer(start: x.key.utf8Start, count: x.key.utf8CodeUnitCount))
                    out.append(contentsOf: #"":"#.utf8)
                    out.append(contentsOf: x.bytes)
                    pending.removeFirst()
                }
            }
            for k in 0..<node.count {
                let m = doc.sortedMembers[node.sorted + k]
                let member = doc.nodes[m]
                let key = UnsafeBufferPointer(rebasing: b.body[member.keyStart..<member.keyEnd])
                if !pending.isEmpty { flushExtra(before: key) }
                separate()
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: key)
                out.append(contentsOf: #"":"#.utf8)
                write(doc, b, m, into: &out, extra: [])
            }
            flushExtra(before: nil)
            out.append(UInt8(ascii: "}"))
        }
    }

    static func compare(_ a: StaticString, _ b: StaticString) -> Int {
        compare(a, UnsafeBufferPointer(start: b.utf8Start, count: b.utf8CodeUnitCount))
    }

    static func compare(_ a: StaticString, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        compareBytes(a.utf8Start, a.utf8CodeUnitCount, b.baseAddress!, b.count)
    }

    /// Byte order of two byte strings (negative, zero, positive), shorter first on a common prefix.
    static func compareBytes(_ a: UnsafePointer<UInt8>, _ la: Int, _ b: UnsafePointer<UInt8>, _ lb: Int) -> Int {
        for k in 0..<min(la, lb) where a[k] != b[k] { return Int(a[k]) - Int(b[k]) }
        return la - lb
    }
}
