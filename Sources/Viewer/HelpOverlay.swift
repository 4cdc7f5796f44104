import ViewerCore

extension ViewerWindow {
    /// A centred panel listing every key binding and the mouse actions.
    func drawHelp(_ layout: ViewerLayout) {
        let lines = configuration.keyTable.helpLines
            + [(keys: "click tile", help: "select that unit"), (keys: "click layer", help: "show that layer"),
               (keys: "drag slider", help: "browse the optimization history")]
        let lh = canvas.text.lineHeight + 2
        let keyColumn = (lines.map { canvas.text.width(of: $0.keys, face: .mono) }.max() ?? 0) + 24
        let helpColumn = lines.map { canvas.text.width(of: $0.help) }.max() ?? 0
        let width = min(keyColumn + helpColumn + 40, layout.width - 20)
        let height = min((lines.count + 1) * lh + 36, layout.status.y - 20)
        let panel = Rect(x: (layout.width - width) / 2, y: max((layout.status.y - height) / 2, 10), width: width, height: height)
        canvas.fill(panel, Theme.overlay)
        canvas.outline(panel, Theme.highlight)
        let titleRow = Rect(x: panel.x + 20, y: panel.y + 12, width: panel.width - 40, height: lh)
        drawTitle("Keys", detail: "press h to close", in: titleRow)
        for (i, line) in lines.enumerated() {
            let y = titleRow.maxY + 8 + i * lh
            guard y + lh <= panel.maxY else { break }
            canvas.label(line.keys, in: Rect(x: panel.x + 20, y: y, width: keyColumn, height: lh), face: .mono, colour: Theme.accent)
            canvas.label(line.help, in: Rect(x: panel.x + 20 + keyColumn, y: y, width: panel.width - keyColumn - 40, height: lh))
        }
    }
}
