// Swift has no prefetch intrinsic; this inline function is compiled into the kernels that call it.
// Locality 2: into L2 (and L3), not L1, so a prefetched block of weights does not evict the tile being computed.
static inline void deepvis_prefetch(const void *p) { __builtin_prefetch(p, 0, 2); }

// A clamp as one compare and one select per bound. Swift's `replacing(with:where:)` is a loop over lanes, which LLVM
// turned into a select on 16 lanes in some kernels and into four 4-lane pieces with mask conversions in others.
// `v < lo ? lo : v` keeps NaN as NaN, like the Swift form it replaces.
typedef float deepvis_float16 __attribute__((ext_vector_type(16)));
typedef int deepvis_int16 __attribute__((ext_vector_type(16)));
typedef float deepvis_float8 __attribute__((ext_vector_type(8)));
typedef int deepvis_int8 __attribute__((ext_vector_type(8)));
static inline __attribute__((always_inline)) deepvis_float16 deepvis_clamp16(deepvis_float16 v, deepvis_float16 lo, deepvis_float16 hi) {
    deepvis_int16 below = v < lo;
    deepvis_int16 r = ((deepvis_int16)lo & below) | ((deepvis_int16)v & ~below);
    deepvis_int16 above = (deepvis_float16)r > hi;
    return (deepvis_float16)(((deepvis_int16)hi & above) | (r & ~above));
}
static inline __attribute__((always_inline)) deepvis_float8 deepvis_clamp8(deepvis_float8 v, deepvis_float8 lo, deepvis_float8 hi) {
    deepvis_int8 below = v < lo;
    deepvis_int8 r = ((deepvis_int8)lo & below) | ((deepvis_int8)v & ~below);
    deepvis_int8 above = (deepvis_float8)r > hi;
    return (deepvis_float8)(((deepvis_int8)hi & above) | (r & ~above));
}

// Transposes of a lanes × lanes tile, for the channel-blocked depthwise kernel: Swift's SIMD types have no two-source
// shuffle, and a lane-by-lane copy was vectorized into scatters (microcoded on AMD) or left as one store per float.
// Row i of the source is `src + min(i, srcRows - 1) * srcStride` (a partial block repeats its last row, never reading
// past it); row i of the result, for i < dstRows, goes to `dst + i * dstStride`. Each round takes the even and the odd
// lanes of two rows joined, which rotates an element's (row, column) bits by one: log2(lanes) rounds transpose.
#define DEEPVIS_EVEN16 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define DEEPVIS_ODD16 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define DEEPVIS_EVEN8 0, 2, 4, 6, 8, 10, 12, 14
#define DEEPVIS_ODD8 1, 3, 5, 7, 9, 11, 13, 15
#define DEEPVIS_TRANSPOSE(N, ROUNDS, T, EVEN, ODD)                                                                   \
    T r[N], t[N];                                                                                                    \
    for (int i = 0; i < N; i++) __builtin_memcpy(&r[i], src + (i < srcRows ? i : srcRows - 1) * srcStride, sizeof(T)); \
    for (int k = 0; k < ROUNDS; k++) {                                                                               \
        for (int i = 0; i < N / 2; i++) {                                                                            \
            t[i] = __builtin_shufflevector(r[2 * i], r[2 * i + 1], EVEN);                                            \
            t[i + N / 2] = __builtin_shufflevector(r[2 * i], r[2 * i + 1], ODD);                                     \
        }                                                                                                            \
        for (int i = 0; i < N; i++) r[i] = t[i];                                                                     \
    }                                                                                                                \
    for (int i = 0; i < N && i < dstRows; i++) __builtin_memcpy(dst + i * dstStride, &r[i], sizeof(T));
static inline __attribute__((always_inline)) void deepvis_transpose16(const float *src, long srcStride, long srcRows,
                                                                      float *dst, long dstStride, long dstRows) {
    DEEPVIS_TRANSPOSE(16, 4, deepvis_float16, DEEPVIS_EVEN16, DEEPVIS_ODD16)
}
static inline __attribute__((always_inline)) void deepvis_transpose8(const float *src, long srcStride, long srcRows,
                                                                     float *dst, long dstStride, long dstRows) {
    DEEPVIS_TRANSPOSE(8, 3, deepvis_float8, DEEPVIS_EVEN8, DEEPVIS_ODD8)
}
