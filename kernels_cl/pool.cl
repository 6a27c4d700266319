/* fnrt - pooling: max pooling (FNRT_OP_MAXPOOL) and global average pooling
 * (FNRT_OP_GLOBAL_AVGPOOL), semantics in host/include/fnrt/fnrt-backend.h.
 * Compiles on its own with any OpenCL C 1.2 compiler.
 */

/* One work-group per channel (global size = C * local size, local size a power of two);
 * each work-item sums a strided part of the plane, then a halving tree reduction in local
 * memory (the "if (lid < s)" form; the interleaved "lid % (2*s)" form is miscompiled by
 * PoCL 3.1).  The loop around the barrier has the same trip count in every work-item. */
__kernel void fnrt_global_avgpool(__global const float *x, __global float *y, int plane,
                                  __local float *scratch)
{
    int c = get_group_id(0);
    int lid = get_local_id(0);
    int ls = get_local_size(0);
    __global const float *xc = x + (size_t)c * plane;
    float s = 0.0f;
    for (int j = lid; j < plane; j += ls)
        s += xc[j];
    scratch[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int st = ls / 2; st > 0; st >>= 1) {
        if (lid < st)
            scratch[lid] += scratch[lid + st];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0)
        y[c] = scratch[0] / (float)plane;
}

/* Max pooling with 16 consecutive outputs of one row per work-item (index arithmetic once
 * per 16; the 2x2 stride-2 unpadded pooling of VGG blocks as vector loads when the 32 input
 * columns are inside the row).  Same result as fnrt_maxpool.
 * n_items = C * Ho * ceil(Wo / 16). */
__kernel void fnrt_maxpool(__global const float *x, __global float *y, int h, int w,
                                 int ho, int wo, int k, int stride, int pad, int n_items)
{
    int gid = get_global_id(0);
    if (gid >= n_items)
        return;
    int nqb = (wo + 15) / 16;
    int qb = gid % nqb;
    int t = gid / nqb;
    int p = t % ho;
    int c = t / ho;
    __global const float *xc = x + (size_t)c * h * w;
    __global float *yr = y + ((size_t)c * ho + p) * wo;
    int q0 = qb * 16;
    if (k == 2 && stride == 2 && pad == 0 && q0 + 16 <= wo && 2 * q0 + 32 <= w &&
        2 * p + 1 < h) {
        __global const float *r0 = xc + (size_t)(2 * p) * w + 2 * q0, *r1 = r0 + w;
        float16 a0 = vload16(0, r0), a1 = vload16(1, r0);
        float16 b0 = vload16(0, r1), b1 = vload16(1, r1);
        float16 m0 = fmax(a0, b0), m1 = fmax(a1, b1);
        float16 lo = (float16)(m0.even, m1.even), hi = (float16)(m0.odd, m1.odd);
        vstore16(fmax(lo, hi), 0, yr + q0);
        return;
    }
    for (int q = q0; q < min(q0 + 16, wo); q++) {
        float m = -FLT_MAX;
        for (int u = 0; u < k; u++) {
            int r = p * stride - pad + u;
            if (r < 0 || r >= h)
                continue;
            for (int v = 0; v < k; v++) {
                int s = q * stride - pad + v;
                if (s < 0 || s >= w)
                    continue;
                m = fmax(m, xc[(size_t)r * w + s]);
            }
        }
        yr[q] = m;
    }
}
