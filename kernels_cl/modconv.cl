/* fnrt - weight modulation/demodulation (FNRT_OP_MODULATE, StyleGAN2-style), semantics in
 * fnrt-backend.h.  The output is the weight tensor of a following conv2d, in the canonical
 * (Co,Ci,kh,kw) layout (the conv packs it itself).
 * Compiles on its own with any OpenCL C 1.2 compiler.
 */

/* One work-item per output channel o: sum of squares of t = scale*w*s over its Ci*k*k
 * weights, then y = t / sqrt(sum + eps).  n_per_o = Ci*kh*kw, kk = kh*kw. */
__kernel void fnrt_modulate(__global const float *w, __global const float *s,
                            __global float *y, int co, int n_per_o, int kk, float scale,
                            float eps)
{
    int o = get_global_id(0);
    if (o >= co)
        return;
    __global const float *wo = w + (size_t)o * n_per_o;
    __global float *yo = y + (size_t)o * n_per_o;
    float sumsq = 0.0f;
    for (int j = 0; j < n_per_o; j++) {
        float t = scale * wo[j] * s[j / kk];
        sumsq = fma(t, t, sumsq);
    }
    float d = rsqrt(sumsq + eps);
    for (int j = 0; j < n_per_o; j++)
        yo[j] = scale * wo[j] * s[j / kk] * d;
}
