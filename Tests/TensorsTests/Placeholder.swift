import Testing

@Test func placeholder_TensorsTests() { #expect(1 + 1 == 2) }
