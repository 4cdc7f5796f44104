import Testing

@Test func placeholder_ViewerTests() { #expect(1 + 1 == 2) }
