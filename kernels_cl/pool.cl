/* fnrt - pooling: max pooling (FNRT_OP_MAXPOOL) and global average pooling
 * (FNRT_OP_GLOBAL_AVGPOOL), semantics in host/include/fnrt/fnrt-backend.h.
 * Compiles on its own with any OpenCL C 1.2 compiler.
 */

/* One work-item per output element; n = C*Ho*Wo.  Padding never wins: only in-range
 * inputs are compared (a window entirely in the padding yields -FLT_MAX, as the reference). */
__kernel void fnrt_maxpool(__global const float *x, __global float *y, int h, int w, int ho,
                           int wo, int k, int stride, int pad, int n)
{
    int idx = get_global_id(0);
    if (idx >= n)
        return;
    int q = idx % wo;
    int t = idx / wo;
    int p = t % ho;
    int c = t / ho;
    __global const float *xc = x + (size_t)c * h * w;
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
    y[idx] = m;
}

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
