/* fnrt - bilinear x2 upsampling (FNRT_OP_UPSAMPLE2X), semantics in fnrt-backend.h.
 * The source-coordinate arithmetic is the reference backend's, step by step in float, so
 * that both agree to rounding.  Compiles on its own with any OpenCL C 1.2 compiler.
 */

/* Source index pair and weight of destination index d when upscaling n -> 2n samples. */
inline void up_coord(int d, int n, int align_corners, int *i0, int *i1, float *frac)
{
    float sc;
    if (align_corners) {
        sc = n > 1 ? (float)d * (float)(n - 1) / (float)(2 * n - 1) : 0.0f;
    } else {
        sc = ((float)d + 0.5f) * 0.5f - 0.5f;
        if (sc < 0.0f)
            sc = 0.0f;
    }
    int lo = (int)sc;
    if (lo > n - 1)
        lo = n - 1;
    *i0 = lo;
    *i1 = lo + 1 < n ? lo + 1 : n - 1;
    *frac = sc - (float)lo;
}

/* The same with 16 consecutive outputs of one row per work-item (row and channel index
 * arithmetic once per 16 outputs; the per-element formula is the one above, vectorised for
 * half-pixel centres away from the row ends).
 * n_items = C * 2H * ceil(2W / 16). */
__kernel void fnrt_upsample2x(__global const float *x, __global float *y, int h, int w,
                                    int align_corners, int n_items)
{
    int gid = get_global_id(0);
    if (gid >= n_items)
        return;
    int wo = 2 * w, ho = 2 * h;
    int nqb = (wo + 15) / 16;
    int qb = gid % nqb;
    int t = gid / nqb;
    int r = t % ho;
    int c = t / ho;
    int r0, r1;
    float fr;
    up_coord(r, h, align_corners, &r0, &r1, &fr);
    __global const float *top = x + ((size_t)c * h + r0) * w;
    __global const float *bot = x + ((size_t)c * h + r1) * w;
    __global float *yr = y + ((size_t)c * ho + r) * wo;
    int q0 = qb * 16, q1 = min(q0 + 16, wo);
    int k0 = q0 / 2; /* input column of outputs q0, q0 + 1 */
    if (!align_corners && q0 >= 2 && k0 + 8 < w) {
        /* Half-pixel centres away from the row ends: output 2k takes columns k-1, k with
         * fractions 0.75 (sc = k - 0.25), output 2k+1 columns k, k+1 with 0.25 - the formula
         * below with those exact values, eight input columns at a time */
        float8 tl = vload8(0, top + k0 - 1), tm = vload8(0, top + k0), tr = vload8(0, top + k0 + 1);
        float8 bl = vload8(0, bot + k0 - 1), bm = vload8(0, bot + k0), br = vload8(0, bot + k0 + 1);
        float8 te = tl * 0.25f + tm * 0.75f, to = tm * 0.75f + tr * 0.25f;
        float8 be = bl * 0.25f + bm * 0.75f, bo = bm * 0.75f + br * 0.25f;
        float8 e = te * (1.0f - fr) + be * fr, o = to * (1.0f - fr) + bo * fr;
        vstore16((float16)(e.s0, o.s0, e.s1, o.s1, e.s2, o.s2, e.s3, o.s3, e.s4, o.s4, e.s5,
                           o.s5, e.s6, o.s6, e.s7, o.s7),
                 0, yr + q0);
        return;
    }
    for (int q = q0; q < q1; q++) {
        int c0, c1;
        float fq;
        up_coord(q, w, align_corners, &c0, &c1, &fq);
        float vt = top[c0] * (1.0f - fq) + top[c1] * fq;
        float vb = bot[c0] * (1.0f - fq) + bot[c1] * fq;
        yr[q] = vt * (1.0f - fr) + vb * fr;
    }
}
