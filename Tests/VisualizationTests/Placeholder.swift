import Testing

@Test func placeholder_VisualizationTests() { #expect(1 + 1 == 2) }
