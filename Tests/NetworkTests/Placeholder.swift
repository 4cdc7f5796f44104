import Testing

@Test func placeholder_NetworkTests() { #expect(1 + 1 == 2) }
