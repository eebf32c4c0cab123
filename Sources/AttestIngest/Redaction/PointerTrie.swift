import AttestCore

/// The configured pointers as a tree of reference tokens, so that the walk finds them while it descends.
struct PointerTrie: Sendable {
    /// `true` when a pointer ends here.
    var isTarget = false
    /// The subtrees, by the next reference token.
    var children: [String: PointerTrie] = [:]

    init() {}

    /// The trie of `pointers`, leaving out the root pointer (which would replace the whole event).
    init(_ pointers: [JSONPointer]) {
        for pointer in pointers where !pointer.tokens.isEmpty {
            insert(pointer.tokens[...])
        }
    }

    private mutating func insert(_ tokens: ArraySlice<String>) {
        guard let first = tokens.first else {
            isTarget = true
            return
        }
        children[first, default: PointerTrie()].insert(tokens.dropFirst())
    }
}
