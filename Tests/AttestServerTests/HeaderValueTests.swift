import Testing

@testable import AttestServer

@Suite("HTTP field values on the request path (trim, media type, bearer prefix)")
struct HeaderValueTests {
    @Test("optional whitespace is spaces and tabs, at either end only")
    func trimmed() {
        #expect(HeaderValue.trimmed(" \t gzip \t") == "gzip")
        #expect(HeaderValue.trimmed("a b") == "a b")
        #expect(HeaderValue.trimmed("   ") == "")
        #expect(HeaderValue.trimmed("") == "")
        #expect(HeaderValue.trimmed("\u{A0}x") == "\u{A0}x")  // not HTTP whitespace
    }

    @Test("the media type is what comes before the parameters, trimmed and in lower case")
    func mediaType() {
        #expect(HeaderValue.mediaType("application/json") == "application/json")
        #expect(HeaderValue.mediaType(" Application/JSON ; charset=utf-8") == "application/json")
        #expect(HeaderValue.mediaType("application/x-ndjson;") == "application/x-ndjson")
        #expect(HeaderValue.mediaType(nil) == "")
        #expect(HeaderValue.mediaType(";charset=utf-8") == "")
    }

    @Test("the bearer prefix matches in any ASCII case and nothing else")
    func bearer() {
        #expect(HeaderValue.equalsIgnoringCase("Bearer ", "bearer "))
        #expect(HeaderValue.equalsIgnoringCase("BEARER ", "bearer "))
        #expect(!HeaderValue.equalsIgnoringCase("Bearer", "bearer "))
        #expect(!HeaderValue.equalsIgnoringCase("Basic  ", "bearer "))
        #expect(!HeaderValue.equalsIgnoringCase("Beärer ", "bearer "))
        #expect(!HeaderValue.equalsIgnoringCase("bearer_", "bearer "))
    }
}
