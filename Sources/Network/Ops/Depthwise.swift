import Glibc
import Tensors
import TensorsAVX512

/// Direct depthwise convolution: each channel convolved with its own kh×kw filter.
///
/// Forward uses a "wide row" form: the input plane is zero-padded (and, for stride s > 1, split
/// into s² phase planes, which turns every stride into stride 1), so that output j of the wide
/// plane is Σ_taps w_t · phases[offset_t + j] for every j alike — one SIMD loop over the whole
/// plane with all taps accumulated in registers. Columns past each row's end are computed and
/// dropped. This avoids the per-row loop overhead that dominates on the 7×7 and 14×14 maps of
/// mobile networks, and reads and writes the output once instead of once per tap.
final class DepthwiseScratch {
    static let slots = 8
    let g: ConvGeometry
    /// Phase-plane geometry: s² planes of ph × pw (one extra row so the last taps stay in bounds).
    let ph: Int, pw: Int
    /// Length of the wide output plane, rounded up to whole SIMD vectors.
    let wideCount: Int
    /// Per tap (ky, kx) in filter order: its element offset into the phase planes.
    let offsets: [Int]
    let phasesCount: Int
    let perSlot: Int
    let buffer: UnsafeMutablePointer<Float>
    private let storage: Tensor
    /// For planes under 16 columns: each input element's offset in the phase planes, so the scatter is one tight
    /// loop instead of a short copy (or a strided walk) per row and phase. Empty for wider planes, whose rows are
    /// copied whole (stride 1) or deinterleaved in vectors (stride 2). The forward pass copies stride-1 rows of 8–15
    /// columns as masked vectors instead (`scatterShortRows`); backward adds back through the index for every narrow plane.
    let scatterIndex: [Int32]
    /// Whether the forward pass copies rows as masked vectors (`Depthwise.scatterShortRows`): stride 1, 8–15 columns.
    let shortRows: Bool
    /// The flat form (`FlatPlanes`), when the input is the output's size times the stride (stride 1 or 2) and the
    /// output plane holds at least 16 elements; the forward pass then runs it instead of the wide rows.
    let flat: FlatPlan?
    /// The channel-blocked form (`ChannelBlocks`) for small output planes; the forward pass then runs it instead
    /// of the flat form, which backward still uses.
    let blocked: BlockedPlan?

    init(_ g: ConvGeometry) {
        self.g = g
        let s = g.strideH
        let kh = (g.kernelH - 1) / s, kw = (g.kernelW - 1) / s
        pw = max((g.inW + g.padLeft + g.padRight + s - 1) / s, g.outW + kw)
        ph = max((g.inH + g.padTop + g.padBottom + s - 1) / s, g.outH + kh) + 1
        let phase = ph * pw
        wideCount = (g.outH * pw + 31) / 32 * 32
        var off: [Int] = []
        for ky in 0..<g.kernelH {
            for kx in 0..<g.kernelW { off.append(((ky % s) * s + kx % s) * phase + (ky / s) * pw + kx / s) }
        }
        offsets = off
        // Slack after the phase planes: the last SIMD vector of the wide plane may read past them.
        phasesCount = s * s * phase + wideCount
        flat = FlatPlan(g)
        perSlot = flat?.slotCount ?? phasesCount + wideCount
        // Zeroed once: the padding positions of the phase planes are never written afterwards. A large tensor's fresh
        // zero pages cost memory only for the slots a thread actually uses (as many as Parallel.threads).
        storage = Tensor(shape: [perSlot * Self.slots])
        buffer = storage.data
        var index: [Int32] = []
        if g.inW < 16 {
            index.reserveCapacity(g.inH * g.inW)
            for iy in 0..<g.inH {
                let py = iy + g.padTop
                for ix in 0..<g.inW {
                    let px = ix + g.padLeft
                    index.append(Int32(((py % s) * s + px % s) * phase + (py / s) * pw + px / s))
                }
            }
        }
        scatterIndex = index
        shortRows = s == 1 && g.inW >= 8 && g.inW < 16
        blocked = BlockedPlan(g)
    }

    /// Whether the wide-row form applies (equal strides, no dilation).
    static func supports(_ g: ConvGeometry) -> Bool {
        g.strideH == g.strideW && g.dilationH == 1 && g.dilationW == 1
    }
}

/// How the flat form (`FlatPlanes`) reads its input: each channel split into s² phase planes of the output's size
/// (phase (a, b) holds input rows ≡ a and columns ≡ b mod s), laid out one after another with zero gaps between them
/// that cover every tap's reach past a plane's first and last rows. One channel for the depthwise convolution; all
/// input channels for a dense one (`DirectConv`), whose filters are then one tap table over every channel.
struct FlatPlan {
    let stride: Int
    /// The tap table `FlatPlanes.Taps` reads (group ends, column shifts, offsets from a slot's start), then each tap's
    /// index in the filter: the forward pass puts each channel's filter in tap order.
    let table: [Int]
    let groups: Int, taps: Int
    let width: Int, count: Int
    /// Where each phase plane of the first channel starts in a slot, the length of one channel's planes, and the slot's.
    let planeStarts: [Int]
    let channelCount: Int, slotCount: Int
    /// Each output element's column, for the edge masks.
    let columns: [Int32]
    /// For stride 1 and one channel: the tap table of the backward pass, laid out like `table` with as many groups
    /// (negating the shifts maps them one to one), and where the output gradient starts in its slot (of `channelCount` floats).
    let backward: [Int]?
    let backwardStart: Int

    init?(_ g: ConvGeometry, channels: Int = 1) {
        let s = g.strideH
        guard s == g.strideW, s == 1 || s == 2, g.dilationH == 1, g.dilationW == 1,
              g.inH == s * g.outH, g.inW == s * g.outW, g.outH * g.outW >= 16 else { return nil }
        stride = s
        width = g.outW
        count = g.outH * g.outW
        func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
        // Each tap: its phase, its offset within the phase plane from the output position, its column shift.
        var each: [(channel: Int, phase: Int, relative: Int, shift: Int, index: Int)] = []
        for c in 0..<channels {
            for ky in 0..<g.kernelH {
                for kx in 0..<g.kernelW {
                    let ry = ky - g.padTop, rx = kx - g.padLeft
                    let dy = floorDiv(ry, s), dx = floorDiv(rx, s)
                    each.append((c, (ry - dy * s) * s + rx - dx * s, dy * width + dx, dx, (c * g.kernelH + ky) * g.kernelW + kx))
                }
            }
        }
        let before = max(0, -(each.map(\.relative).min() ?? 0)), after = max(0, each.map(\.relative).max() ?? 0)
        let pitch = before + count + after
        planeStarts = (0..<(s * s)).map { before + $0 * pitch }
        channelCount = s * s * pitch
        slotCount = channels * channelCount
        let starts = planeStarts, perChannel = channelCount
        (table, groups) = Self.tapTable(each.map { ($0.shift, $0.channel * perChannel + starts[$0.phase] + $0.relative, $0.index) })
        taps = each.count
        // Backward (stride 1, one channel): gx[q] = Σ_t w_t · gy[q − relative_t] over the taps whose output column
        // q % width − shift_t lies in the row: the same form with offsets and shifts negated, reading gy between zero
        // gaps that are the forward's swapped (`after` floats before the plane, `before` after it).
        if s == 1, channels == 1 {
            backward = Self.tapTable(each.map { (-$0.shift, after - $0.relative, $0.index) }).table
            backwardStart = after
        } else {
            backward = nil
            backwardStart = 0
        }
        columns = (0..<count).map { Int32($0 % g.outW) }
    }
}

extension FlatPlan {
    /// A `FlatPlanes.Taps` table from (column shift, offset, filter index) per tap: grouped by shift, then the indices.
    static func tapTable(_ each: [(shift: Int, offset: Int, index: Int)]) -> (table: [Int], groups: Int) {
        let sorted = each.sorted { ($0.shift, $0.index) < ($1.shift, $1.index) }
        var ends: [Int] = [], shifts: [Int] = []
        for (i, t) in sorted.enumerated() {
            if shifts.last != t.shift { shifts.append(t.shift); ends.append(i) }
            ends[ends.count - 1] = i + 1
        }
        return (ends + shifts + sorted.map(\.offset) + sorted.map(\.index), ends.count)
    }

    /// Where a tap table (`table` or `backward`) keeps each tap's filter index: after the group ends, shifts and offsets.
    func filterOrder(_ table: UnsafeBufferPointer<Int>) -> UnsafePointer<Int> { table.baseAddress! + 2 * groups + taps }

    /// Calls `body` with what convolving channels in the flat form needs: the tap table, the output columns, and a
    /// function that puts one channel's filter (kernelH·kernelW floats) in tap order and returns it.
    func withTables(_ body: (FlatPlanes.Taps, UnsafePointer<Int32>, (UnsafePointer<Float>) -> UnsafePointer<Float>) -> Void) {
        table.withUnsafeBufferPointer { table in
            columns.withUnsafeBufferPointer { columns in
                let order = filterOrder(table)
                let filter = UnsafeMutablePointer<Float>.allocate(capacity: taps)
                defer { filter.deallocate() }
                body(FlatPlanes.Taps(base: table.baseAddress!, groups: groups, taps: taps, width: width, count: count), columns.baseAddress!) { wc in
                    for t in 0..<taps { filter[t] = wc[order[t]] }
                    return UnsafePointer(filter)
                }
            }
        }
    }

    /// Copies one input channel (rows × stride·width) into its phase planes at `channel` (the planes' zero gaps are left alone).
    func fill(_ xc: UnsafePointer<Float>, rows: Int, into channel: UnsafeMutablePointer<Float>) {
        fill(xc, firstRow: 0, rows: rows, into: channel)
    }

    /// Copies `rows` input rows of a channel, from input row `firstRow` (a multiple of the stride), into their places
    /// in its phase planes; the rest of the planes is left as it was.
    func fill(_ xc: UnsafePointer<Float>, firstRow: Int, rows: Int, into channel: UnsafeMutablePointer<Float>) {
        let at = firstRow / stride * width
        if stride == 1 {
            if KernelChoice.wide {
                DepthwiseAVX512.copy(xc, to: channel + planeStarts[0] + at, count: rows * width)
            } else {
                FlatPlanes.copy(SIMD8<Float>.self, xc, to: channel + planeStarts[0] + at, count: rows * width)
            }
            return
        }
        let phases = FlatPlanes.Phases(evenEven: channel + planeStarts[0] + at, evenOdd: channel + planeStarts[1] + at,
                                       oddEven: channel + planeStarts[2] + at, oddOdd: channel + planeStarts[3] + at)
        if KernelChoice.wide {
            DepthwiseAVX512.splitPhases(xc, rows: rows, halfWidth: width, into: phases)
        } else {
            FlatPlanes.splitPhases(SIMD8<Float>.self, xc, rows: rows, halfWidth: width, into: phases)
        }
    }

    /// `FlatPlanes.convolve` in the widest vectors this CPU has; `filter` in tap order.
    @inline(__always)
    func convolve(_ taps: FlatPlanes.Taps, filter: UnsafePointer<Float>, from source: UnsafePointer<Float>, columns: UnsafePointer<Int32>,
                  bias: Float, _ out: FlatPlanes.Output, positions: Range<Int>? = nil) {
        if KernelChoice.wide {
            DepthwiseAVX512.convolveFlat(taps, filter: filter, from: source, columns: columns, bias: bias, out, positions: positions)
        } else {
            FlatPlanes.convolve(SIMD8<Float>.self, taps, filter: filter, from: source, columns: columns, bias: bias, out, positions: positions)
        }
    }
}

enum Depthwise {
    /// y[c] = bias[c] + w[c] ⋆ x[c]. Without scratch (the plain loop), y must hold the bias already.
    /// `epilogue`, if given, is applied to each channel right after it is computed; `y` is at element
    /// `outputOffset` of the epilogue's tensors.
    static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                        channels: Int, _ g: ConvGeometry, scratch: DepthwiseScratch?, epilogue: ClampEpilogue? = nil, outputOffset: Int = 0) {
        guard let sc = scratch else {
            forwardDirect(x: x, w: w, y: y, channels: channels, g)
            epilogue?.apply(from: y - outputOffset, offset: outputOffset, count: channels * g.outH * g.outW)
            return
        }
        let ow = g.outW, oh = g.outH, plane = oh * ow, inPlane = g.inH * g.inW, kk = g.kernelH * g.kernelW
        let pw = sc.pw
        // Where the clamped values go: nil when there is no clamp; y itself when the clamp is in place.
        let activated = epilogue.map { $0.output.data + outputOffset }
        let low = epilogue?.low ?? 0, high = epilogue?.high ?? 0
        if let plan = sc.blocked {
            forwardBlocked(x: x, w: w, bias: bias, y: y, channels: channels, plan, activated: activated, low: low, high: high)
            return
        }
        if let plan = sc.flat {
            forwardFlat(x: x, w: w, bias: bias, y: y, channels: channels, plan, sc, activated: activated, low: low, high: high)
            return
        }
        Parallel.forChunks(channels, maxChunks: DepthwiseScratch.slots) { range, slot in
            let phases = sc.buffer + slot * sc.perSlot
            let wide = phases + sc.phasesCount
            sc.offsets.withUnsafeBufferPointer { offsets in
                sc.scatterIndex.withUnsafeBufferPointer { index in
                    for c in range {
                        if sc.shortRows {
                            scatterShortRows(x + c * inPlane, into: phases, sc)
                        } else if index.isEmpty {
                            scatterRows(x + c * inPlane, into: phases, sc)
                        } else {
                            scatter(x + c * inPlane, by: index, into: phases)
                        }
                        accumulate(taps: w + c * kk, offsets: offsets, from: phases, into: wide, count: sc.wideCount)
                        let b = bias?[c] ?? 0
                        for oy in 0..<oh {
                            let o = c * plane + oy * ow
                            store(wide + oy * pw, count: ow, bias: b, preActivation: activated == y ? nil : y + o,
                                  activated: activated.map { $0 + o }, low: low, high: high, mayOverrun: (oh - oy) * ow >= 8)
                        }
                    }
                }
            }
        }
    }

    /// The flat form (`FlatPlanes`): each channel's input is copied into its slot's phase planes and convolved as one row.
    static func forwardFlat(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                            channels: Int, _ plan: FlatPlan, _ sc: DepthwiseScratch, activated: UnsafeMutablePointer<Float>?,
                            low: Float, high: Float) {
        let g = sc.g, plane = plan.count, inPlane = g.inH * g.inW, kk = g.kernelH * g.kernelW
        Parallel.forChunks(channels, maxChunks: DepthwiseScratch.slots) { range, slot in
            let source = sc.buffer + slot * sc.perSlot
            plan.withTables { taps, columns, inTapOrder in
                for c in range {
                    let filter = inTapOrder(w + c * kk)
                    plan.fill(x + c * inPlane, rows: g.inH, into: source)
                    plan.convolve(taps, filter: filter, from: source, columns: columns, bias: bias?[c] ?? 0,
                                  output(y: y, activated: activated, at: c * plane, low: low, high: high))
                }
            }
        }
    }

    /// Where channel output starting at element `offset` goes: the pre-activation into y unless the clamp is in place
    /// there, the clamped value into `activated` (nil: no clamp).
    @inline(__always)
    static func output(y: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>?, at offset: Int, low: Float, high: Float)
        -> FlatPlanes.Output {
        FlatPlanes.Output(preActivation: activated == y ? nil : y + offset, activated: activated.map { $0 + offset }, low: low, high: high)
    }

    /// One output row from the wide plane: pre-activation = wide + bias, activated = clamp(pre-activation); either
    /// may be nil (no separate pre-activation, or no clamp). Rows of 8 or more end with one vector that overlaps
    /// the previous one. A shorter row may be written as a whole vector that runs into the rows after it
    /// (`mayOverrun`: this row and the ones after it in the plane, all written afterwards, hold at least 8
    /// elements, and so do their wide rows), else element by element.
    @inline(__always)
    static func store(_ wide: UnsafePointer<Float>, count: Int, bias: Float, preActivation: UnsafeMutablePointer<Float>?,
                      activated: UnsafeMutablePointer<Float>?, low: Float, high: Float, mayOverrun: Bool) {
        let b8 = SIMD8<Float>(repeating: bias), lo8 = SIMD8<Float>(repeating: low), hi8 = SIMD8<Float>(repeating: high)
        let src = UnsafeRawPointer(wide)
        // Wrapping arithmetic: i < count, so i·4 cannot overflow, and checked multiplies were a third of this loop.
        @inline(__always) func vector(at i: Int) {
            let v = src.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) + b8
            if let p = preActivation { UnsafeMutableRawPointer(p).storeBytes(of: v, toByteOffset: i &* 4, as: SIMD8<Float>.self) }
            if let a = activated {
                UnsafeMutableRawPointer(a).storeBytes(of: v.replacing(with: lo8, where: v .< lo8).replacing(with: hi8, where: v .> hi8),
                                                      toByteOffset: i &* 4, as: SIMD8<Float>.self)
            }
        }
        if count < 8 {
            if mayOverrun {
                vector(at: 0)
            } else {
                for i in 0..<count {
                    let v = wide[i] + bias
                    preActivation?[i] = v
                    activated?[i] = min(max(v, low), high)
                }
            }
            return
        }
        var i = 0
        while i &+ 8 <= count {
            vector(at: i)
            i &+= 8
        }
        if i < count { vector(at: count &- 8) }
    }

    /// Copies one input plane into the interior of its zero-padded phase planes by the precomputed index.
    @inline(__always)
    static func scatter(_ xc: UnsafePointer<Float>, by index: UnsafeBufferPointer<Int32>, into phases: UnsafeMutablePointer<Float>) {
        for i in 0..<index.count { phases[Int(index[i])] = xc[i] }
    }

    /// Stride 1, rows of 8–15 columns (the 14×14 maps; 7-column rows gained nothing and keep the index): each row is one 16-float vector whose lanes past the
    /// row are zeroed, so the store puts zeros where the padding already has them. Those lanes may reach into the next
    /// rows' interior, which is written afterwards (rows go top to bottom), or into the bottom padding and the slack.
    /// Rows whose vector would read past this channel's plane are copied element by element.
    @inline(__always)
    static func scatterShortRows(_ xc: UnsafePointer<Float>, into phases: UnsafeMutablePointer<Float>, _ sc: DepthwiseScratch) {
        let g = sc.g, pw = sc.pw, inW = g.inW, inPlane = g.inH * inW
        let keep = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) .< SIMD16<Int32>(repeating: Int32(inW))
        let zero = SIMD16<Float>()
        for iy in 0..<g.inH {
            let dst = phases + ((iy &+ g.padTop) &* pw &+ g.padLeft), src = xc + iy &* inW
            if iy &* inW &+ 16 <= inPlane {
                let v = UnsafeRawPointer(src).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(dst).storeBytes(of: zero.replacing(with: v, where: keep), as: SIMD16<Float>.self)
            } else {
                dst.update(from: src, count: inW)
            }
        }
    }

    /// Copies one input plane of a wide layer into the interior of its zero-padded phase planes, row by row
    /// (stride 2: `scatterRowsStride2`; larger strides column phase by column phase).
    @inline(__always)
    static func scatterRows(_ xc: UnsafePointer<Float>, into phases: UnsafeMutablePointer<Float>, _ sc: DepthwiseScratch) {
        let g = sc.g, s = g.strideH, pw = sc.pw, phase = sc.ph * pw
        if s == 2 {
            scatterRowsStride2(xc, into: phases, sc)
            return
        }
        for iy in 0..<g.inH {
            let py = iy + g.padTop
            let rowBase = phases + ((py % s) * s) * phase + (py / s) * pw
            let src = xc + iy * g.inW
            if s == 1 {
                (rowBase + g.padLeft).update(from: src, count: g.inW)
                continue
            }
            for qx in 0..<s {
                // Input columns ix with (ix + padLeft) % s == qx land in phase column (ix + padLeft) / s.
                let first = ((qx - g.padLeft) % s + s) % s
                guard first < g.inW else { continue }
                let dst = rowBase + qx * phase + (first + g.padLeft) / s
                let from = src + first
                let n = (g.inW - 1 - first) / s + 1
                for k in 0..<n { dst[k] = from[k * s] }
            }
        }
    }

    /// Stride 2: each pair of inputs (even padded column, odd padded column) lands in the same column of the two
    /// column phases, so one 16-float load gives 8 columns of both (its even and odd halves).
    @inline(__always)
    static func scatterRowsStride2(_ xc: UnsafePointer<Float>, into phases: UnsafeMutablePointer<Float>, _ sc: DepthwiseScratch) {
        let g = sc.g, pw = sc.pw, phase = sc.ph * pw, inW = g.inW
        // The first input column whose padded column is even, and where its pair lands.
        let first = g.padLeft & 1, column0 = (first + g.padLeft) >> 1
        for iy in 0..<g.inH {
            let py = iy + g.padTop
            let even = phases + (py & 1) * 2 * phase + (py >> 1) * pw   // column phase 0 of this row phase
            let odd = even + phase
            let src = xc + iy * inW
            if first == 1 { odd[column0 - 1] = src[0] }
            let raw = UnsafeRawPointer(src + first)
            var j = 0
            while first + 2 * j + 16 <= inW {
                let v = raw.loadUnaligned(fromByteOffset: 2 * j * 4, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(even + column0 + j).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(odd + column0 + j).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                j += 8
            }
            while first + 2 * j < inW {
                even[column0 + j] = src[first + 2 * j]
                if first + 2 * j + 1 < inW { odd[column0 + j] = src[first + 2 * j + 1] }
                j += 1
            }
        }
    }

    /// wide[j] = Σ_t taps[t] · phases[offsets[t] + j] (`WideRows`), in the widest vectors this CPU has.
    @inline(__always)
    static func accumulate(taps: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>, from phases: UnsafeMutablePointer<Float>,
                           into wide: UnsafeMutablePointer<Float>, count: Int) {
        if KernelChoice.wide {
            DepthwiseAVX512.accumulate(taps: taps, offsets: offsets, from: phases, into: wide, count: count)
        } else {
            WideRows.accumulate(SIMD8<Float>.self, taps: taps, offsets: offsets, from: phases, into: wide, count: count)
        }
    }

    /// The plain loop, for dilated or unequal-stride filters.
    static func forwardDirect(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, channels: Int, _ g: ConvGeometry) {
        let ow = g.outW, plane = g.outH * ow, inPlane = g.inH * g.inW, kk = g.kernelH * g.kernelW
        Parallel.forEach(channels) { c in
            let xc = x + c * inPlane, yc = y + c * plane, wc = w + c * kk
            for ky in 0..<g.kernelH {
                let rows = g.validRows(ky: ky)
                for kx in 0..<g.kernelW {
                    let wv = wc[ky * g.kernelW + kx]
                    let cols = g.validColumns(kx: kx)
                    let base = kx * g.dilationW - g.padLeft
                    if cols.isEmpty { continue }
                    let st = g.strideW
                    for oy in rows {
                        let src = xc + (oy * g.strideH - g.padTop + ky * g.dilationH) * g.inW + base
                        let dst = yc + oy * ow
                        for ox in cols { dst[ox] += wv * src[ox * st] }
                    }
                }
            }
        }
    }

    /// gx[c] += the transposed convolution of gy[c] with w[c].
    static func backward(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, channels: Int, _ g: ConvGeometry) {
        let ow = g.outW, plane = g.outH * ow, inPlane = g.inH * g.inW, kk = g.kernelH * g.kernelW
        Parallel.forEach(channels) { c in
            let gxc = gx + c * inPlane, gyc = gy + c * plane, wc = w + c * kk
            for ky in 0..<g.kernelH {
                let rows = g.validRows(ky: ky)
                for kx in 0..<g.kernelW {
                    let wv = wc[ky * g.kernelW + kx]
                    let cols = g.validColumns(kx: kx)
                    let base = kx * g.dilationW - g.padLeft
                    if cols.isEmpty { continue }
                    let st = g.strideW
                    for oy in rows {
                        let dst = gxc + (oy * g.strideH - g.padTop + ky * g.dilationH) * g.inW + base
                        let src = gyc + oy * ow
                        for ox in cols { dst[ox * st] += wv * src[ox] }
                    }
                }
            }
        }
    }
}
