extension Hash256 {
    /// Parses exactly 64 lower-case hex digits, the only spelling the ledger format uses.
    public init?(lowercaseHex text: some StringProtocol) {
        var s = String(text)
        guard let h = s.withUTF8({ Hash256(hexDigits: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = h
    }
}
