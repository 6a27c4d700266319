/* fnrt - channel and per-pixel ops: concat (FNRT_OP_CONCAT), gray (FNRT_OP_GRAY), per-pixel
 * L2 normalisation (FNRT_OP_L2NORM), a stand-alone activation used by the host before
 * a convolution whose act_in cannot be fused (tanh), and the merges of the cross-modal
 * network: residual add (FNRT_OP_ADD) and channel-slice max-merge (FNRT_OP_MAXMERGE).
 * Semantics in fnrt-backend.h.  One work-item per output element, except the merges (four
 * per work-item, see below).  Compiles on its own with any OpenCL C 1.2 compiler.
 */

/* y[j] = (x0 + x1 + x2) / 3 over one plane of n pixels. */
__kernel void fnrt_gray(__global const float *x, __global float *y, int n)
{
    int j = get_global_id(0);
    if (j >= n)
        return;
    y[j] = (x[j] + x[n + j] + x[2 * n + j]) / 3.0f;
}

/* Per pixel: n = x / max(|x|, eps); swizzle: (n1, -n0, n2).  n = pixels per plane. */
__kernel void fnrt_l2norm(__global const float *x, __global float *y, int swizzle, float eps,
                          int n)
{
    int j = get_global_id(0);
    if (j >= n)
        return;
    float a = x[j], b = x[n + j], c = x[2 * n + j];
    float len = sqrt(a * a + b * b + c * c);
    float inv = 1.0f / fmax(len, eps);
    a *= inv;
    b *= inv;
    c *= inv;
    if (swizzle) {
        y[j] = b;
        y[n + j] = -a;
    } else {
        y[j] = a;
        y[n + j] = b;
    }
    y[2 * n + j] = c;
}

/* y = act(x), act a fnrt_act value (0 none, 1 relu, 2 leaky with alpha, 3 tanh). */
__kernel void fnrt_act_apply(__global const float *x, __global float *y, int act, float alpha,
                             int n)
{
    int j = get_global_id(0);
    if (j >= n)
        return;
    float v = x[j];
    if (act == 1)
        v = v > 0.0f ? v : 0.0f;
    else if (act == 2)
        v = v >= 0.0f ? v : alpha * v;
    else if (act == 3)
        v = tanh(v);
    y[j] = v;
}

/* ---- merges (FNRT_OP_ADD, FNRT_OP_MAXMERGE) ----
 * Vectorised: each work-item handles FNRT_MERGE_V (4) consecutive elements with one vload4 /
 * vstore4 (element alignment is all vload needs); the last work-item of an array whose
 * length is not a multiple of 4, and for the max-merge a quad that straddles the end of the
 * kept channels, take the scalar path.  The host launches ceil(n/4) work-items. */

/* y = act(a + b) (act: 0 none, 1 relu, 2 leaky with alpha, 3 tanh); n elements. */
__kernel void fnrt_add(__global const float *a, __global const float *b, __global float *y,
                       int act, float alpha, int n)
{
    int i = get_global_id(0) * 4;
    if (i >= n)
        return;
    if (i + 4 <= n) {
        float4 v = vload4(0, a + i) + vload4(0, b + i);
        if (act == 1)
            v = fmax(v, (float4)(0.0f));
        else if (act == 2)
            v = select(v * alpha, v, isgreaterequal(v, (float4)(0.0f)));
        else if (act == 3)
            v = tanh(v);
        vstore4(v, 0, y + i);
        return;
    }
    for (int j = i; j < n; j++) {
        float v = a[j] + b[j];
        if (act == 1)
            v = v > 0.0f ? v : 0.0f;
        else if (act == 2)
            v = v >= 0.0f ? v : alpha * v;
        else if (act == 3)
            v = tanh(v);
        y[j] = v;
    }
}

/* y[j] = x[j] for j < n_kept (the first K channels), max(x[j], skip[j - n_kept]) after;
 * n = C*H*W elements, n_kept = K*H*W. */
__kernel void fnrt_maxmerge(__global const float *x, __global const float *skip,
                            __global float *y, int n_kept, int n)
{
    int i = get_global_id(0) * 4;
    if (i >= n)
        return;
    if (i + 4 <= n && (i + 4 <= n_kept || i >= n_kept)) {
        float4 v = vload4(0, x + i);
        if (i >= n_kept)
            v = fmax(v, vload4(0, skip + (i - n_kept)));
        vstore4(v, 0, y + i);
        return;
    }
    for (int j = i; j < min(i + 4, n); j++)
        y[j] = j < n_kept ? x[j] : fmax(x[j], skip[j - n_kept]);
}

/* concat with 16 consecutive output elements per work-item: one vload16/vstore16 when the
 * 16 are in one channel plane (always when the plane is a multiple of 16), element by
 * element otherwise.  Same arguments as fnrt_concat; n_items = ceil(n / 16). */
__kernel void fnrt_concat(__global const float *a, __global const float *b, __global float *y,
                            int ca, int stride_b, int plane, int n)
{
    int i = get_global_id(0) * 16;
    if (i >= n)
        return;
    int c = i / plane, j = i % plane;
    if (i + 16 <= n && j + 16 <= plane) {
        __global const float *src =
            c < ca ? a + i : b + (size_t)(c - ca) * stride_b * plane + j;
        vstore16(vload16(0, src), 0, y + i);
        return;
    }
    for (int e = i; e < min(i + 16, n); e++) {
        int ce = e / plane, je = e % plane;
        y[e] = ce < ca ? a[e] : b[(size_t)(ce - ca) * stride_b * plane + je];
    }
}
