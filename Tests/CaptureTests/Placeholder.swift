import Testing

@Test func placeholder_CaptureTests() { #expect(1 + 1 == 2) }
