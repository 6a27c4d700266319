/* fnrt - channel and per-pixel ops: concat (FNRT_OP_CONCAT), gray (FNRT_OP_GRAY), per-pixel
 * L2 normalisation (FNRT_OP_L2NORM), and a stand-alone activation used by the host before
 * a convolution whose act_in cannot be fused (tanh).  Semantics in fnrt-backend.h.
 * One work-item per output element everywhere.  Compiles on its own with any OpenCL C 1.2
 * compiler.
 */

/* y = concat(a[ca], b[0::stride_b]) along channels; n = (ca + ceil(cb/stride_b)) * plane. */
__kernel void fnrt_concat(__global const float *a, __global const float *b, __global float *y,
                          int ca, int stride_b, int plane, int n)
{
    int idx = get_global_id(0);
    if (idx >= n)
        return;
    int c = idx / plane, j = idx % plane;
    y[idx] = c < ca ? a[idx] : b[(size_t)(c - ca) * stride_b * plane + j];
}

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
