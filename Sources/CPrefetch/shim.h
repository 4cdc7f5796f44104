// Swift has no prefetch intrinsic; this inline function is compiled into the kernels that call it.
// Locality 2: into L2 (and L3), not L1, so a prefetched block of weights does not evict the tile being computed.
static inline void deepvis_prefetch(const void *p) { __builtin_prefetch(p, 0, 2); }
