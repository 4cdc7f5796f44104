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
