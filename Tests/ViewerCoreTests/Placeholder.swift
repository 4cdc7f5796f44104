import Testing

@Test func placeholder_ViewerCoreTests() { #expect(1 + 1 == 2) }
