/* fnrt - FMA peak of the device: the "measured peak" `fnrt bench` reports percentages of.
 * Each work-item runs 12 independent float16 FMA chains (enough to cover the FMA latency
 * on wide-vector CPUs), n_iter times; flops = n_items * n_iter * 12 * 16 * 2.  The result
 * is stored so that nothing is optimised away.
 * Compiles on its own with any OpenCL C 1.2 compiler.
 */
__kernel void fnrt_peak_fma(__global float *out, int n_iter, float a, float b)
{
    int gid = get_global_id(0);
    float16 x0 = (float16)(gid * 1e-6f), x1 = x0 + 1.0f, x2 = x0 + 2.0f, x3 = x0 + 3.0f;
    float16 x4 = x0 + 4.0f, x5 = x0 + 5.0f, x6 = x0 + 6.0f, x7 = x0 + 7.0f;
    float16 x8 = x0 + 8.0f, x9 = x0 + 9.0f, x10 = x0 + 10.0f, x11 = x0 + 11.0f;
    float16 va = (float16)(a), vb = (float16)(b);
    for (int i = 0; i < n_iter; i++) {
        x0 = fma(x0, va, vb);
        x1 = fma(x1, va, vb);
        x2 = fma(x2, va, vb);
        x3 = fma(x3, va, vb);
        x4 = fma(x4, va, vb);
        x5 = fma(x5, va, vb);
        x6 = fma(x6, va, vb);
        x7 = fma(x7, va, vb);
        x8 = fma(x8, va, vb);
        x9 = fma(x9, va, vb);
        x10 = fma(x10, va, vb);
        x11 = fma(x11, va, vb);
    }
    float16 s = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
    out[gid] = s.s0 + s.s1 + s.s2 + s.s3 + s.s4 + s.s5 + s.s6 + s.s7 + s.s8 + s.s9 + s.sa +
               s.sb + s.sc + s.sd + s.se + s.sf;
}
