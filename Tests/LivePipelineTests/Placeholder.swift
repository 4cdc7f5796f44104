import Testing

@Test func placeholder_LivePipelineTests() { #expect(1 + 1 == 2) }
