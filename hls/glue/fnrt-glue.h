/* Streaming glue of the fnrt HLS kernels: global memory <-> stream movers.
 *
 * Activations live in global memory in the blocked layout of the build's lane count P
 * (fnrt-hls-layout.h): channel block b (channels b*P .. b*P+P-1), then rows, then pixels,
 * then the P lanes.  Band-order streams are then contiguous runs (one burst per band and
 * channel group, no buffer); pixel-order streams are reordered one row at a time through a
 * ping-pong row buffer, so the mover reads row r+1 while it emits row r (one word a cycle).
 *
 * mm2s_core emits c channels, channel c_first + k*c_step for k < c, of a blocked tensor
 * (c_step > 1 reads the source blocks the selection spans, each once; concat's b[0::4]).
 * s2mm_core writes a stream of c channels into channels c_base .. c_base+c-1 of a blocked
 * tensor (c_base % P == 0), so two producers can fill the halves of a concatenation in
 * place. */
#ifndef FNRT_HLS_GLUE_H
#define FNRT_HLS_GLUE_H

#include "../common/fnrt-hls-layout.h"
#include "../common/fnrt-hls-types.h"

namespace fnrt_hls {

enum { ORDER_PIXEL = 0, ORDER_BAND = 1, ORDER_IM2COL = 2 };

/* im2col of a thin input (c <= P channels: one block) for a k x k, stride s, pad conv:
 * emits, for every output pixel in row-major order, ceil(c*k*k / P) beats whose lane
 * f = g*P + lane holds x[i][p*s-pad+u][q*s-pad+v] with (i, u, v) = (f / k^2, f / k % k,
 * f % k) (0 outside the map), so the conv runs as a 1 x 1 conv with c*k*k input channels
 * and the OIHW weight read as (Co, c*k*k, 1, 1) unchanged.  A k-row line buffer, read
 * through a k x k window (rows in separate banks, columns cyclically over MAX_K banks),
 * gives one beat per cycle; each source row is read from memory once.
 * Cycles: h*(w + depth) for the rows, ho*(wo*beats + depth) for the output. */
template <class T, int P, int MAX_K, int MAX_W, int MAX_BEATS>
void im2col_core(const T *mem, hls::stream<vec<T, P> > &out, int c, int h, int w, int k, int s,
                 int pad)
{
    static vec<T, P> lb[MAX_K][MAX_W];
#pragma HLS ARRAY_PARTITION variable = lb dim = 1 complete
#pragma HLS ARRAY_PARTITION variable = lb dim = 2 cyclic factor = MAX_K
    unsigned char li[MAX_BEATS][P], lu[MAX_BEATS][P], lv[MAX_BEATS][P];
    bool lok[MAX_BEATS][P];
#pragma HLS ARRAY_PARTITION variable = li dim = 2 complete
#pragma HLS ARRAY_PARTITION variable = lu dim = 2 complete
#pragma HLS ARRAY_PARTITION variable = lv dim = 2 complete
#pragma HLS ARRAY_PARTITION variable = lok dim = 2 complete
    const int kk = k * k, n = c * kk, beats = fnrt_hls_ceil_div(n, P);
    const int ho = (h + 2 * pad - k) / s + 1, wo = (w + 2 * pad - k) / s + 1;
lanes:
    for (int f = 0; f < beats * P; f++) {
#pragma HLS PIPELINE II = 1
        li[f / P][f % P] = (unsigned char)(f < n ? f / kk : 0);
        lu[f / P][f % P] = (unsigned char)(f < n ? f / k % k : 0);
        lv[f / P][f % P] = (unsigned char)(f < n ? f % k : 0);
        lok[f / P][f % P] = f < n;
    }
    int rows_loaded = 0;
out_rows:
    for (int p = 0; p < ho; p++) {
        int hi = p * s - pad + k - 1;
        if (hi > h - 1)
            hi = h - 1;
    fill:
        for (; rows_loaded <= hi; rows_loaded++) {
            for (int q = 0; q < w; q++) {
#pragma HLS PIPELINE II = 1
                vec<T, P> word;
                for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                    word.v[l] = l < c ? mem[((long long)rows_loaded * w + q) * P + l] : T(0);
                }
                lb[rows_loaded % MAX_K][q] = word;
            }
        }
    pixels:
        for (int i = 0; i < wo * beats; i++) {
#pragma HLS PIPELINE II = 1
            const int q = i / beats, g = i % beats;
            vec<T, P> y;
            for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                const int r = p * s - pad + lu[g][l], col = q * s - pad + lv[g][l];
                y.v[l] = lok[g][l] && r >= 0 && r < h && col >= 0 && col < w
                             ? lb[r % MAX_K][col].v[li[g][l]]
                             : T(0);
            }
            out.write(y);
        }
    }
}

/* Element index of (channel k, row r, column q) in a blocked tensor of h x w maps. */
inline long long blocked_index(int k, int r, int q, int h, int w, int p)
{
    return (((long long)(k / p) * h + r) * w + q) * p + k % p;
}

/* One row of output group g (pixel order) gathered from the source blocks it spans. */
template <class T, int P>
void mm2s_gather_row(const T *mem, vec<T, P> *buf, int ncg, int c, int h, int w, int r,
                     int c_first, int c_step)
{
    for (int g = 0; g < ncg; g++) {
        const int lo_ch = c_first + g * P * c_step;
        const int hi_k = (g + 1) * P < c ? (g + 1) * P : c;
        const int hi_ch = c_first + (hi_k - 1) * c_step;
        for (int sb = lo_ch / P; sb <= hi_ch / P; sb++) {
            for (int q = 0; q < w; q++) {
#pragma HLS PIPELINE II = 1
                const long long base = (((long long)sb * h + r) * w + q) * P;
                vec<T, P> word = buf[q * ncg + g];
                if (sb == lo_ch / P) { /* first block of the group clears the word */
                    for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                        word.v[l] = T(0);
                    }
                }
                for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                    const int k = g * P + l, ch = c_first + k * c_step;
                    if (k < c && ch / P == sb)
                        word.v[l] = mem[base + ch % P];
                }
                buf[q * ncg + g] = word;
            }
        }
    }
}

template <class T, int P, int MAX_ROW_WORDS>
void mm2s_core(const T *mem, hls::stream<vec<T, P> > &out, int c, int h, int w, int c_first,
               int c_step, int order, int tile_rows)
{
    const int ncg = fnrt_hls_ceil_div(c, P);
    if (order == ORDER_IM2COL) /* tile_rows carries k | stride << 8 | pad << 16 */
        return im2col_core<T, P, 5, (MAX_ROW_WORDS < 512 ? MAX_ROW_WORDS : 512), 4>(
            mem, out, c, h, w, tile_rows & 255, (tile_rows >> 8) & 255, (tile_rows >> 16) & 255);
    if (order == ORDER_BAND) {
        /* c_first % P == 0 and c_step == 1: a straight copy of the blocks, band by band */
        for (int r0 = 0; r0 < h; r0 += tile_rows) {
            const int t = h - r0 < tile_rows ? h - r0 : tile_rows;
            for (int g = 0; g < ncg; g++) {
                const long long base = (((long long)(c_first / P + g) * h + r0) * w) * P;
                for (int i = 0; i < t * w; i++) {
#pragma HLS PIPELINE II = 1
                    vec<T, P> word;
                    for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                        word.v[l] = g * P + l < c ? mem[base + (long long)i * P + l] : T(0);
                    }
                    out.write(word);
                }
            }
        }
        return;
    }
    static vec<T, P> buf[2][MAX_ROW_WORDS];
#pragma HLS BIND_STORAGE variable = buf type = ram_s2p impl = uram
    const int rw = w * ncg;
    if (c_step == 1 && c_first % P == 0) {
        /* one loop, one word a cycle: row r fills one half (block by block, a burst per
         * block) while row r-1 leaves the other half in pixel order */
        int r = 0, g = 0, q = 0, j = 0;
    rows_pipelined:
        for (long long i = 0; i < (long long)(h + 1) * rw; i++) {
#pragma HLS PIPELINE II = 1
#pragma HLS DEPENDENCE variable = buf inter false
            if (r < h) {
                vec<T, P> word;
                const long long base = (((long long)(c_first / P + g) * h + r) * w + q) * P;
                for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                    word.v[l] = g * P + l < c ? mem[base + l] : T(0);
                }
                buf[r % 2][q * ncg + g] = word;
            }
            if (r > 0)
                out.write(buf[(r - 1) % 2][j]);
            if (++q == w) {
                q = 0;
                g++;
            }
            if (++j == rw) {
                j = 0;
                g = 0;
                r++;
            }
        }
        return;
    }
rows:
    for (int r = 0; r <= h; r++) {
        /* general selection (c_step > 1 or unaligned c_first): gather, then emit */
        if (r < h)
            mm2s_gather_row<T, P>(mem, buf[r % 2], ncg, c, h, w, r, c_first, c_step);
        if (r > 0) {
            for (int i = 0; i < rw; i++) {
#pragma HLS PIPELINE II = 1
                out.write(buf[(r - 1) % 2][i]);
            }
        }
    }
}

template <class T, int P, int MAX_ROW_WORDS>
void s2mm_core(hls::stream<vec<T, P> > &in, T *mem, int c, int h, int w, int c_base, int order,
               int tile_rows)
{
    const int ncg = fnrt_hls_ceil_div(c, P), b0 = c_base / P;
    if (order == ORDER_BAND) {
        for (int r0 = 0; r0 < h; r0 += tile_rows) {
            const int t = h - r0 < tile_rows ? h - r0 : tile_rows;
            for (int g = 0; g < ncg; g++) {
                const long long base = (((long long)(b0 + g) * h + r0) * w) * P;
                for (int i = 0; i < t * w; i++) {
#pragma HLS PIPELINE II = 1
                    const vec<T, P> word = in.read();
                    for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                        if (g * P + l < c)
                            mem[base + (long long)i * P + l] = word.v[l];
                    }
                }
            }
        }
        return;
    }
    static vec<T, P> buf[2][MAX_ROW_WORDS];
#pragma HLS BIND_STORAGE variable = buf type = ram_s2p impl = uram
    const int rw = w * ncg;
    int r = 0, g = 0, q = 0, j = 0;
rows_pipelined:
    for (long long i = 0; i < (long long)(h + 1) * rw; i++) {
#pragma HLS PIPELINE II = 1
#pragma HLS DEPENDENCE variable = buf inter false
        if (r < h)
            buf[r % 2][j] = in.read();
        if (r > 0) {
            const vec<T, P> word = buf[(r - 1) % 2][q * ncg + g];
            const long long base = (((long long)(b0 + g) * h + (r - 1)) * w + q) * P;
            for (int l = 0; l < P; l++) {
#pragma HLS UNROLL
                if (g * P + l < c)
                    mem[base + l] = word.v[l];
            }
        }
        if (++q == w) {
            q = 0;
            g++;
        }
        if (++j == rw) {
            j = 0;
            g = 0;
            r++;
        }
    }
}

} // namespace fnrt_hls
#endif
