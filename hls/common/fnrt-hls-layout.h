/* Memory layouts and tiling rules of the fnrt HLS kernels, as plain C: used by host code,
 * the C-simulation test benches and the co-design model (sim/), so the three agree.
 *
 * Activations in global memory: blocked by the build's lane count P, element type act_t
 * (float, or the raw 16/8-bit ap_fixed codes): channel block b = channels b*P .. b*P+P-1,
 * then rows, then pixels, then the P lanes (index ((b*H + r)*W + q)*P + lane); the host
 * converts from/to fnrt's planar (C,H,W) floats at buf_write/buf_read.  On streams: P lanes
 * per beat, channels padded to a multiple of P with zeros.
 *   pixel order: rows top to bottom, pixels left to right, ceil(C/P) beats per pixel;
 *   band order (conv/deconv outputs and residual inputs): bands of tile_rows output rows;
 *     inside a band, channel groups of P; inside a group, the band's pixels row-major.
 *
 * Conv/deconv weights are packed once by the host into the order the engine consumes them,
 * so that every band reads one contiguous burst.  A "step" is one P x P weight block:
 *   for og < ceil(Co/P), phase < s*s (deconv; 1 for conv), ig < ceil(Ci/P), tap:
 *     P*P values, po-major (value po*P + pi), padded with zeros to a whole number of
 *     512-bit words (FNRT_HLS_STEP_ELEMS), weight (o = og*P+po, i = ig*P+pi, tap), zero
 *     outside Co x Ci.
 * conv taps: (u, v) row-major over kh x kw, weight w[o][i][u][v] (OIHW).
 * deconv (k % s == 0, kk = k/s): output pixel (p, q) has phase (ar, aq) = ((p+pad) % s,
 *   (q+pad) % s); taps (ju, jv) row-major over kk x kk with u = ar + s*ju, v = aq + s*jv,
 *   weight w[i][o][u][v] (PyTorch ConvTranspose2d layout), input pixel
 *   ((p+pad-u)/s, (q+pad-v)/s). */
#ifndef FNRT_HLS_LAYOUT_H
#define FNRT_HLS_LAYOUT_H

#include <stddef.h>

static inline int fnrt_hls_ceil_div(int a, int b)
{
    return (a + b - 1) / b;
}

/* Values per 512-bit weight word and per packed step. */
static inline int fnrt_hls_wv(int wt_bits)
{
    return 512 / wt_bits;
}
static inline int fnrt_hls_step_words(int p, int wt_bits)
{
    return fnrt_hls_ceil_div(p * p, fnrt_hls_wv(wt_bits));
}
static inline int fnrt_hls_step_elems(int p, int wt_bits)
{
    return fnrt_hls_step_words(p, wt_bits) * fnrt_hls_wv(wt_bits);
}

/* Steps per band: ceil(Co/P) x phases x ceil(Ci/P) x taps-per-phase (= k*k in total). */
static inline long long fnrt_hls_steps(int ci, int co, int kh, int kw, int p)
{
    return (long long)fnrt_hls_ceil_div(co, p) * fnrt_hls_ceil_div(ci, p) * kh * kw;
}

static inline size_t fnrt_hls_packed_weight_elems(int ci, int co, int kh, int kw, int p,
                                                  int wt_bits)
{
    return (size_t)fnrt_hls_steps(ci, co, kh, kw, p) * (size_t)fnrt_hls_step_elems(p, wt_bits);
}

/* Index into the canonical weight tensor of packed element e, or -1 for padding. */
static inline long long fnrt_hls_packed_weight_src(size_t e, int ci, int co, int kh, int kw,
                                                   int stride, int transposed, int p,
                                                   int wt_bits)
{
    size_t se = (size_t)fnrt_hls_step_elems(p, wt_bits);
    long long step = (long long)(e / se);
    int rem = (int)(e % se);
    if (rem >= p * p)
        return -1;
    int po = rem / p, pi = rem % p;
    int nig = fnrt_hls_ceil_div(ci, p);
    if (!transposed) {
        int taps = kh * kw;
        int tap = (int)(step % taps);
        step /= taps;
        int ig = (int)(step % nig);
        int og = (int)(step / nig);
        int o = og * p + po, i = ig * p + pi, u = tap / kw, v = tap % kw;
        if (o >= co || i >= ci)
            return -1;
        return (((long long)o * ci + i) * kh + u) * kw + v;
    } else {
        int s = stride, kk = kh / s, taps = kk * kk;
        int tap = (int)(step % taps);
        step /= taps;
        int ig = (int)(step % nig);
        step /= nig;
        int phase = (int)(step % (s * s));
        int og = (int)(step / (s * s));
        int ar = phase / s, aq = phase % s, ju = tap / kk, jv = tap % kk;
        int u = ar + s * ju, v = aq + s * jv;
        int o = og * p + po, i = ig * p + pi;
        if (o >= co || i >= ci)
            return -1;
        return (((long long)i * co + o) * kh + u) * kw + v;
    }
}

/* Most input rows a band of tr output rows can touch. */
static inline int fnrt_hls_band_in_rows(int tr, int kh, int stride, int transposed)
{
    if (!transposed)
        return (tr - 1) * stride + kh;
    return (tr + kh - 2) / stride + 1;
}

/* Band height for a layer: as many output rows as the accumulator (max_pix pixels) and
 * the line buffer (lb_words words of P lanes; one input row is in_row_words words) allow,
 * at most ho.  0 if not even one row fits (the layer cannot run on this build). */
static inline int fnrt_hls_tile_rows(int ho, int wo, int in_row_words, int kh, int stride,
                                     int transposed, int max_pix, int lb_words)
{
    int tr = wo > 0 ? max_pix / wo : 0;
    if (tr > ho)
        tr = ho;
    while (tr >= 1 &&
           (long long)fnrt_hls_band_in_rows(tr, kh, stride, transposed) * in_row_words > lb_words)
        tr--;
    return tr;
}

/* Cycle model of the conv/deconv engine (hls/conv2d/fnrt-conv2d.h), loop by loop: every
 * pipelined loop runs at II = 1 and costs its trip count plus its pipeline depth per
 * invocation (depth = loop_depth for the MAC loop, FNRT_HLS_SHORT_DEPTH otherwise).
 * The C-simulation counts the same quantities; test-hls checks they agree. */
#define FNRT_HLS_SHORT_DEPTH 4

typedef struct fnrt_hls_conv_cycles {
    long long total;     /* all of the below */
    long long load;      /* line-buffer fill: input rows, w * ceil(Ci/P) beats each */
    long long mac;       /* MAC-loop iterations: max(band pixels of the phase, weight words) */
    long long mac_useful;/* of which pixel iterations (the rest waits for weights) */
    long long overhead;  /* pipeline depths, bias load, weight prologue, drains */
    long long weight_words; /* 512-bit weight words read */
    int tile_rows, n_bands;
} fnrt_hls_conv_cycles;

/* wl_stretch, load_stretch >= 1: cycles per weight word / per input beat when memory
 * delivers less than one 512-bit word (one beat) per cycle; 1.0 = the HLS loop counts. */
static inline int fnrt_hls_conv_cycles_eval(int ci, int h, int w, int co, int kh, int kw,
                                            int stride, int pad, int transposed, int p,
                                            int wt_bits, int max_pix, int lb_words,
                                            int loop_depth, double wl_stretch,
                                            double load_stretch, fnrt_hls_conv_cycles *c)
{
    int ho, wo, s = stride;
    if (!transposed) {
        ho = (h + 2 * pad - kh) / s + 1;
        wo = (w + 2 * pad - kw) / s + 1;
    } else {
        if (kh != kw || kh % s)
            return -1;
        ho = (h - 1) * s - 2 * pad + kh;
        wo = (w - 1) * s - 2 * pad + kw;
    }
    int nig = fnrt_hls_ceil_div(ci, p), nog = fnrt_hls_ceil_div(co, p);
    int phases = transposed ? s * s : 1;
    int taps = transposed ? (kh / s) * (kw / s) : kh * kw;
    int wl = fnrt_hls_step_words(p, wt_bits);
    long long wl_c = (long long)(wl * wl_stretch + 0.999999);
    long long row_c = (long long)(w * nig * load_stretch + 0.999999);
    int tr = fnrt_hls_tile_rows(ho, wo, w * nig, kh, s, transposed, max_pix, lb_words);
    const int D = FNRT_HLS_SHORT_DEPTH;
    if (tr < 1)
        return -1;
    c->total = c->load = c->mac = c->mac_useful = c->overhead = c->weight_words = 0;
    c->tile_rows = tr;
    c->n_bands = 0;
    c->overhead += nog * p + D;  /* bias load */
    c->overhead += wl + D;       /* weight prologue */
    c->weight_words += wl;
    int rows_loaded = 0;
    for (int r0 = 0; r0 < ho; r0 += tr) {
        int t = ho - r0 < tr ? ho - r0 : tr;
        int hi;
        c->n_bands++;
        if (!transposed)
            hi = (r0 + t - 1) * s - pad + kh - 1;
        else
            hi = (r0 + t - 1 + pad) / s;
        if (hi > h - 1)
            hi = h - 1;
        if (hi >= rows_loaded) {
            c->load += (long long)(hi - rows_loaded + 1) * (row_c + D);
            rows_loaded = hi + 1;
        }
        for (int og = 0; og < nog; og++) {
            for (int ph = 0; ph < phases; ph++) {
                int npix;
                if (!transposed) {
                    npix = t * wo;
                } else {
                    int ar = ph / s, aq = ph % s;
                    int fr = ((ar - (r0 + pad)) % s + s) % s; /* first band row of the phase */
                    int fq = ((aq - pad) % s + s) % s;
                    int nr = fr < t ? (t - fr + s - 1) / s : 0;
                    int nq = fq < wo ? (wo - fq + s - 1) / s : 0;
                    npix = nr * nq;
                }
                long long steps = (long long)nig * taps;
                long long it = npix > wl_c ? npix : wl_c;
                c->mac += steps * it;
                c->mac_useful += steps * npix;
                c->overhead += steps * loop_depth;
                c->weight_words += steps * wl;
            }
            if (transposed)
                c->overhead += (long long)t * wo + D; /* drain of this group */
        }
        if (!transposed)
            c->overhead += (long long)t * wo + D;     /* drain of the last group */
    }
    c->weight_words -= wl; /* the last step has no successor to prefetch */
    if (rows_loaded < h)
        c->load += (long long)(h - rows_loaded) * (row_c + D); /* unused rows, discarded */
    c->total = c->load + c->mac + c->overhead;
    return 0;
}

#endif
