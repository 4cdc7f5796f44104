import Testing

@Test func placeholder_ImagingTests() { #expect(1 + 1 == 2) }
