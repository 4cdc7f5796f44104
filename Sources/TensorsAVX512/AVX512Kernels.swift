import CPrefetch
import Foundation
import Tensors

/// `PointwiseKernel` with 16-float AVX-512 vectors, for CPUs that have them (checked at run time).
///
/// Why a module of its own: Swift has no per-function target attributes, so this target alone is
/// compiled for `skylake-avx512` (AVX-512 F/CD/BW/DQ/VL, which every AVX-512 x86 CPU has); the generic
/// kernel is specialized here with that instruction set. On the project's EPYC (Zen 5, full-width
/// AVX-512 units) it does twice the multiply-adds per cycle of the AVX2 one (BENCHMARKS.md).
public enum PointwiseAVX512 {
    /// Whether this CPU runs AVX-512 F/CD/BW/DQ/VL (from /proc/cpuinfo's flags).
    public static let supported: Bool = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let flags = Set(line.split(separator: " ").map(String.init))
        return ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
    }()

    /// `PointwiseKernel.multiply` with AVX-512 vectors; call only when `supported`.
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, aRowStride: Int, aColStride: Int,
                                b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                                c: UnsafeMutablePointer<Float>, ldc: Int, clamp: ClampTarget? = nil) {
        precondition(supported, "PointwiseAVX512 on a CPU without AVX-512")
        PointwiseKernel.multiply(SIMD16<Float>.self, m: m, n: n, k: k, a: a, aRowStride: aRowStride, aColStride: aColStride,
                                 b: b, ldb: ldb, bias: bias, accumulate: accumulate, c: c, ldc: ldc, clamp: clamp)
    }
}

extension SIMD16: KernelVector where Scalar == Float {
    @inlinable public static var lanes: Int { 16 }
    @inlinable @inline(__always)
    public static func load(_ p: UnsafeRawPointer, _ byteOffset: Int) -> Self { p.loadUnaligned(fromByteOffset: byteOffset, as: Self.self) }
    @inlinable @inline(__always)
    public func store(_ p: UnsafeMutableRawPointer, _ byteOffset: Int) { p.storeBytes(of: self, toByteOffset: byteOffset, as: Self.self) }
    @inlinable @inline(__always)
    public func fma(_ a: Self, _ b: Self) -> Self { addingProduct(a, b) }
    @inlinable @inline(__always)
    public func clamped(_ lo: Self, _ hi: Self) -> Self { deepvis_clamp16(self, lo, hi) }
    @inlinable @inline(__always)
    public func zeroingColumns(_ p: UnsafeRawPointer, _ byteOffset: Int, below bound: Int32) -> Self {
        replacing(with: 0, where: p.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Int32>.self) .< SIMD16<Int32>(repeating: bound))
    }
    @inlinable @inline(__always)
    public func zeroingColumns(_ p: UnsafeRawPointer, _ byteOffset: Int, from bound: Int32) -> Self {
        replacing(with: 0, where: p.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Int32>.self) .>= SIMD16<Int32>(repeating: bound))
    }
    @inlinable @inline(__always)
    public func total() -> Float {
        let h = lowHalf + highHalf, q = h.lowHalf + h.highHalf, d = q.lowHalf + q.highHalf
        return d[0] + d[1]
    }
    @inlinable @inline(__always)
    public static func transpose(_ src: UnsafePointer<Float>, _ srcStride: Int, _ srcRows: Int,
                                 _ dst: UnsafeMutablePointer<Float>, _ dstStride: Int, _ dstRows: Int) {
        deepvis_transpose16(src, srcStride, srcRows, dst, dstStride, dstRows)
    }
}

/// `WideRows.accumulate` (the depthwise inner loop) with AVX-512 vectors; call only when `PointwiseAVX512.supported`.
public enum DepthwiseAVX512 {
    public static func accumulate(taps: UnsafePointer<Float>, offsets: UnsafeBufferPointer<Int>, from planes: UnsafePointer<Float>,
                                  into wide: UnsafeMutablePointer<Float>, count: Int) {
        WideRows.accumulate(SIMD16<Float>.self, taps: taps, offsets: offsets, from: planes, into: wide, count: count)
    }
}

extension DepthwiseAVX512 {
    /// `FlatPlanes.convolve` with AVX-512 vectors; call only when `PointwiseAVX512.supported`.
    public static func convolveFlat(_ taps: FlatPlanes.Taps, filter: UnsafePointer<Float>, from source: UnsafePointer<Float>,
                                    columns: UnsafePointer<Int32>, bias: Float, _ out: FlatPlanes.Output, positions: Range<Int>? = nil) {
        FlatPlanes.convolve(SIMD16<Float>.self, taps, filter: filter, from: source, columns: columns, bias: bias, out, positions: positions)
    }

    /// `FlatPlanes.convolveChannels` with AVX-512 vectors; call only when `PointwiseAVX512.supported`.
    public static func convolveChannels(_ taps: FlatPlanes.Taps, filters: UnsafePointer<Float>, from source: UnsafePointer<Float>,
                                        columns: UnsafePointer<Int32>, biases: UnsafePointer<Float>, _ outs: UnsafePointer<FlatPlanes.Output>,
                                        channels: Int, positions: Range<Int>) {
        FlatPlanes.convolveChannels(SIMD16<Float>.self, taps, filters: filters, from: source, columns: columns, biases: biases, outs,
                                    channels: channels, positions: positions)
    }

    /// `FlatPlanes.copy` with AVX-512 vectors; call only when `PointwiseAVX512.supported`.
    public static func copy(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        FlatPlanes.copy(SIMD16<Float>.self, src, to: dst, count: count)
    }

    /// `FlatPlanes.splitPhases` with AVX-512 vectors; call only when `PointwiseAVX512.supported`.
    public static func splitPhases(_ plane: UnsafePointer<Float>, rows: Int, halfWidth: Int, into phases: FlatPlanes.Phases) {
        FlatPlanes.splitPhases(SIMD16<Float>.self, plane, rows: rows, halfWidth: halfWidth, into: phases)
    }
}

extension DepthwiseAVX512 {
    /// `ChannelBlocks.convolve` with AVX-512 vectors (16 channels a block); call only when `PointwiseAVX512.supported`.
    public static func convolveBlock(_ g: ChannelBlocks.Geometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                     channels: Int, _ buffers: ChannelBlocks.Buffers, preActivation: UnsafeMutablePointer<Float>?,
                                     activated: UnsafeMutablePointer<Float>?, low: Float, high: Float) {
        ChannelBlocks.convolve(SIMD16<Float>.self, g, x: x, w: w, bias: bias, channels: channels, buffers,
                               preActivation: preActivation, activated: activated, low: low, high: high)
    }
}

/// `SmallBlocks.run` with AVX-512 vectors; call only when `PointwiseAVX512.supported`.
public enum SmallBlocksAVX512 {
    public static func run(_ s: SmallBlocks.Shapes, _ p: SmallBlocks.Packed, x: UnsafePointer<Float>, residual: UnsafePointer<Float>?,
                           y: UnsafeMutablePointer<Float>, slots: UnsafeMutablePointer<Float>, maxSlots: Int,
                           expandClamp: (low: Float, high: Float), depthwiseClamp: (low: Float, high: Float)) {
        SmallBlocks.run(SIMD16<Float>.self, s, p, x: x, residual: residual, y: y, slots: slots, maxSlots: maxSlots,
                        expandClamp: expandClamp, depthwiseClamp: depthwiseClamp)
    }
}

/// `PooledPointwise.run` in AVX-512 vectors.
public enum PooledPointwiseAVX512 {
    public static func run(_ s: PooledPointwise.Shapes, packed: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                           slots: UnsafeMutablePointer<Float>, maxSlots: Int, clamp: (low: Float, high: Float)) {
        PooledPointwise.run(SIMD16<Float>.self, s, packed: packed, x: x, y: y, slots: slots, maxSlots: maxSlots, clamp: clamp)
    }
}
