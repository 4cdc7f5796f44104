import Testing

@Test func placeholder_ONNXImportTests() { #expect(1 + 1 == 2) }
