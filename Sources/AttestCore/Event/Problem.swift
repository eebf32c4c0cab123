/// One thing wrong with an input, located by a JSON pointer (RFC 6901).
public struct Problem: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Where the problem is, e.g. `/actor/id` or `/2/action` in a batch.
    public let pointer: String
    /// What is wrong, in words.
    public let message: String

    public init(pointer: String, message: String) {
        self.pointer = pointer
        self.message = message
    }

    public var description: String { "\(pointer.isEmpty ? "/" : pointer): \(message)" }

    public static func < (a: Problem, b: Problem) -> Bool {
        (a.pointer, a.message) < (b.pointer, b.message)
    }

    /// The same problem located inside element `prefix` of a larger document.
    public func prefixed(_ prefix: String) -> Problem {
        Problem(pointer: prefix + pointer, message: message)
    }
}

/// Every problem found in one input; the error of validation.
public struct ValidationProblems: Error, Hashable, Sendable, CustomStringConvertible {
    /// The problems, in document order of their pointers.
    public let problems: [Problem]
    public init(_ problems: [Problem]) { self.problems = problems }
    public var description: String { problems.map(\.description).joined(separator: "; ") }
}
