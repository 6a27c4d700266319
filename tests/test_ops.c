/* Every op of the OpenCL backend against the plain-C reference backend (the oracle), plus
 * the OpenCL backend's device selection, program cache, build errors and memory limits.
 *
 * Tolerance table (|cl - ref| <= atol + rtol*|ref| for every element):
 *   conv2d, deconv2d   atol = rtol = 1e-5 * sqrt(fan_in), fan_in = Ci*kh*kw (deconv: the
 *                      taps one output actually sums, Ci*ceil(kh/s)*ceil(kw/s)).  Inputs are
 *                      in [-1,1] and weights in [-1,1]/sqrt(fan_in), so outputs are O(1);
 *                      a float sum of fan_in terms in a different order differs by about
 *                      sqrt(fan_in)*eps, and 1e-5 leaves ~100x margin while a wrong tap or
 *                      channel gives errors of order 1e-2..1.
 *   modulate           atol 1e-6, rtol 1e-5 (float vs double sum of squares, rsqrt).
 *   global_avgpool     atol 1e-6, rtol 1e-5 (tree vs double sum).
 *   upsample2x, gray   atol 1e-6, rtol 1e-6 (same float formula; division/rounding only).
 *   l2norm             atol 1e-6, rtol 1e-5 (sqrt, division).
 *   maxpool, concat    exact (atol 1e-30, rtol 0): they only move values.
 * Every OpenCL object is created inside the forked test (checked fixture or test body):
 * PoCL's threads do not survive fork() if the parent touched a device.
 */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/opencl/opencl.h"
#include "fnrt/fnrt-backend.h"
#include "test-ops-util.h"
#include "test-util.h"

#define BUILD_TIMEOUT 300 /* seconds: cold PoCL builds + code generation per kernel */

static const fnrt_backend_ops *const CL = &fnrt_backend_opencl;
static const fnrt_backend_ops *const REF = &fnrt_backend_ref;

/* ---- conv2d ---- */

/* Ci, H, W, Co, kh, kw, stride, pad, bias, residual, act_in, act_out, alpha_in, alpha_out */
static const test_conv_case conv_cases[] = {
    /* the networks' encoder: k4 s2 p1 with leaky 0.2 input, down to 1x1 */
    {3, 32, 32, 16, 4, 4, 2, 1, 1, 0, FNRT_ACT_LEAKY, FNRT_ACT_NONE, 0.2f, 0},
    {16, 2, 2, 33, 4, 4, 2, 1, 1, 0, FNRT_ACT_LEAKY, FNRT_ACT_NONE, 0.2f, 0},
    {33, 4, 4, 17, 4, 4, 2, 1, 0, 0, FNRT_ACT_LEAKY, FNRT_ACT_NONE, 0.2f, 0},
    {1, 2, 2, 1, 4, 4, 2, 1, 1, 0, FNRT_ACT_LEAKY, FNRT_ACT_NONE, 0.2f, 0},
    {5, 7, 9, 13, 4, 4, 2, 1, 1, 0, FNRT_ACT_LEAKY, FNRT_ACT_RELU, 0.2f, 0},
    /* 3x3 p1 */
    {5, 7, 9, 13, 3, 3, 1, 1, 1, 0, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    {13, 7, 9, 5, 3, 3, 1, 1, 0, 1, FNRT_ACT_NONE, FNRT_ACT_LEAKY, 0, 0.1f},
    {1, 2, 2, 5, 3, 3, 1, 1, 1, 1, FNRT_ACT_RELU, FNRT_ACT_TANH, 0, 0},
    {3, 1, 1, 3, 3, 3, 1, 1, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {5, 3, 37, 17, 3, 3, 1, 1, 1, 0, FNRT_ACT_LEAKY, FNRT_ACT_LEAKY, 0.2f, 0.2f},
    {33, 32, 32, 33, 3, 3, 1, 1, 1, 1, FNRT_ACT_RELU, FNRT_ACT_RELU, 0, 0},
    {16, 32, 32, 16, 3, 3, 1, 1, 0, 0, FNRT_ACT_NONE, FNRT_ACT_TANH, 0, 0},
    /* rows several vectors wide: work-items with no border (conv.cl's TAPS_INSIDE loop),
     * with and without act_in, next to edge and element-wise ones */
    {8, 5, 70, 9, 3, 3, 1, 1, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {8, 5, 70, 9, 3, 3, 1, 1, 1, 1, FNRT_ACT_LEAKY, FNRT_ACT_RELU, 0.2f, 0},
    /* 5x5 s2 p2 */
    {17, 7, 9, 3, 5, 5, 2, 2, 1, 0, FNRT_ACT_NONE, FNRT_ACT_TANH, 0, 0},
    {3, 32, 32, 16, 5, 5, 2, 2, 1, 0, FNRT_ACT_LEAKY, FNRT_ACT_LEAKY, 0.2f, 0.2f},
    {1, 1, 1, 17, 5, 5, 2, 2, 0, 0, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    /* 1x1 */
    {16, 32, 32, 16, 1, 1, 1, 0, 1, 1, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {1, 1, 1, 1, 1, 1, 1, 0, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {33, 7, 9, 3, 1, 1, 1, 0, 0, 1, FNRT_ACT_LEAKY, FNRT_ACT_TANH, 0.2f, 0},
    /* generic kernel (run-time kernel size / stride), non-square, tanh act_in prepass */
    {5, 7, 9, 13, 2, 2, 1, 0, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {5, 7, 9, 13, 3, 3, 2, 1, 1, 1, FNRT_ACT_RELU, FNRT_ACT_RELU, 0, 0},
    {3, 7, 9, 5, 1, 3, 1, 1, 1, 0, FNRT_ACT_NONE, FNRT_ACT_LEAKY, 0, 0.3f},
    {5, 7, 9, 13, 3, 3, 1, 1, 1, 0, FNRT_ACT_TANH, FNRT_ACT_NONE, 0, 0},
    {3, 11, 13, 4, 7, 7, 3, 3, 1, 0, FNRT_ACT_LEAKY, FNRT_ACT_NONE, 0.5f, 0},
};
#define N_CONV_CASES ((int)(sizeof conv_cases / sizeof conv_cases[0]))

START_TEST(test_conv2d)
{
    test_conv_compare(&conv_cases[_i], 100 + (uint64_t)_i);
}
END_TEST

/* ---- deconv2d ---- */

typedef struct deconv_case {
    int ci, h, w, co, k, s, pad;
    int bias;
    fnrt_act act_in, act_out;
    float alpha_in, alpha_out;
} deconv_case;

static const deconv_case deconv_cases[] = {
    /* the networks' decoder: k4 s2 p1 from 1x1 upwards, relu input */
    {16, 1, 1, 8, 4, 2, 1, 1, FNRT_ACT_RELU, FNRT_ACT_NONE, 0, 0},
    {33, 2, 2, 17, 4, 2, 1, 1, FNRT_ACT_RELU, FNRT_ACT_NONE, 0, 0},
    {1, 1, 1, 1, 4, 2, 1, 0, FNRT_ACT_RELU, FNRT_ACT_NONE, 0, 0},
    {5, 7, 9, 13, 4, 2, 1, 0, FNRT_ACT_RELU, FNRT_ACT_TANH, 0, 0},
    {16, 16, 16, 16, 4, 2, 1, 1, FNRT_ACT_RELU, FNRT_ACT_LEAKY, 0, 0.2f},
    {32, 16, 16, 3, 4, 2, 1, 1, FNRT_ACT_RELU, FNRT_ACT_TANH, 0, 0},
    {13, 3, 5, 5, 4, 2, 1, 1, FNRT_ACT_LEAKY, FNRT_ACT_RELU, 0.2f, 0},
    /* rows several vectors wide per phase: interior work-items (deconv.cl's TAPS_INSIDE) */
    {8, 4, 40, 6, 4, 2, 1, 1, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {8, 4, 40, 6, 4, 2, 1, 0, FNRT_ACT_RELU, FNRT_ACT_LEAKY, 0, 0.2f},
    /* generic kernel: other sizes/strides, tanh act_in prepass */
    {5, 7, 9, 3, 3, 2, 1, 1, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {4, 3, 5, 6, 2, 2, 0, 1, FNRT_ACT_RELU, FNRT_ACT_NONE, 0, 0},
    {5, 7, 9, 13, 3, 1, 1, 1, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    {3, 4, 5, 7, 5, 3, 2, 0, FNRT_ACT_LEAKY, FNRT_ACT_NONE, 0.1f, 0},
    /* more than 8 tap rows per phase (9x9 stride 1): rows past deconv.cl's 8 kept offsets */
    {3, 5, 20, 4, 9, 1, 4, 1, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {5, 3, 4, 5, 4, 2, 1, 1, FNRT_ACT_TANH, FNRT_ACT_NONE, 0, 0},
};
#define N_DECONV_CASES ((int)(sizeof deconv_cases / sizeof deconv_cases[0]))

static void deconv_op(fnrt_op *op, const deconv_case *c)
{
    char name[64];
    snprintf(name, sizeof name, "deconv %dx%dx%d->%d k%d s%d p%d", c->ci, c->h, c->w, c->co,
             c->k, c->s, c->pad);
    test_op_init(op, FNRT_OP_DECONV2D, 3, name);
    int ho = (c->h - 1) * c->s - 2 * c->pad + c->k, wo = (c->w - 1) * c->s - 2 * c->pad + c->k;
    op->in_shape[0] = test_shape3(c->ci, c->h, c->w);
    op->in_shape[1] = test_shape4(c->ci, c->co, c->k, c->k);
    if (c->bias)
        op->in_shape[2] = test_shape1(c->co);
    else
        op->in[2] = -1;
    op->out_shape = test_shape3(c->co, ho, wo);
    op->p.conv = (fnrt_conv_params){c->k, c->k, c->s, c->pad, c->act_in, c->act_out,
                                    c->alpha_in, c->alpha_out};
}

static void deconv_inputs(const fnrt_op *op, test_inputs *in, uint64_t seed)
{
    float wr = (float)(1e-5 / test_conv_tol(op)); /* 1/sqrt(fan_in) */
    memset(in, 0, sizeof *in);
    in->data[0] = test_rand_tensor(&op->in_shape[0], seed, -1.0f, 1.0f);
    in->data[1] = test_rand_tensor(&op->in_shape[1], seed + 1, -wr, wr);
    if (op->in[2] >= 0)
        in->data[2] = test_rand_tensor(&op->in_shape[2], seed + 2, -0.5f, 0.5f);
}

START_TEST(test_deconv2d)
{
    fnrt_op op;
    test_inputs in;
    deconv_op(&op, &deconv_cases[_i]);
    deconv_inputs(&op, &in, 200 + (uint64_t)_i);
    double tol = test_conv_tol(&op);
    free(test_compare_op(&op, &in, tol, tol));
    test_inputs_free(&in);
}
END_TEST

/* Other tunings (the GPU column, every pixel vector width, odd channel blocks) on a few conv
 * and deconv cases, each in a context created with $FNRT_OPENCL_TUNE. */
static const char *const tunings[] = {
    "FNRT_CONV_OB=8,FNRT_CONV_PW=4,FNRT_CONV_LS=64",
    "FNRT_CONV_OB=3,FNRT_CONV_PW=2,FNRT_CONV_LS=1",
    "FNRT_CONV_OB=5,FNRT_CONV_PW=8,FNRT_CONV_LS=4",
    "FNRT_CONV_OB=32,FNRT_CONV_PW=16,FNRT_CONV_LS=8",
};

START_TEST(test_conv_tunings)
{
    test_ops_retune(tunings[_i]);
    const int conv_pick[] = {1, 5, 9, 13, 14, 20, 23};
    for (size_t j = 0; j < sizeof conv_pick / sizeof conv_pick[0]; j++)
        test_conv_compare(&conv_cases[conv_pick[j]], 300 + j);
    const int deconv_pick[] = {0, 3, 8, 9, 13, 14};
    for (size_t j = 0; j < sizeof deconv_pick / sizeof deconv_pick[0]; j++) {
        fnrt_op op;
        test_inputs in;
        deconv_op(&op, &deconv_cases[deconv_pick[j]]);
        deconv_inputs(&op, &in, 400 + j);
        double tol = test_conv_tol(&op);
        free(test_compare_op(&op, &in, tol, tol));
        test_inputs_free(&in);
    }
}
END_TEST

/* ---- maxpool, upsample, global avgpool ---- */

static const struct {
    int c, h, w, k, s, pad;
} pool_cases[] = {
    {5, 8, 8, 2, 2, 0},  {3, 7, 9, 2, 2, 0},    {5, 7, 9, 3, 2, 1},
    {16, 32, 32, 3, 2, 1}, {1, 1, 1, 3, 2, 1},  {17, 2, 2, 2, 2, 0},
};

START_TEST(test_maxpool)
{
    fnrt_op op;
    test_inputs in = {{0}};
    int c = pool_cases[_i].c, h = pool_cases[_i].h, w = pool_cases[_i].w;
    int k = pool_cases[_i].k, s = pool_cases[_i].s, pad = pool_cases[_i].pad;
    test_op_init(&op, FNRT_OP_MAXPOOL, 1, "maxpool");
    op.in_shape[0] = test_shape3(c, h, w);
    op.out_shape = test_shape3(c, (h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1);
    op.p.pool = (fnrt_pool_params){k, s, pad};
    in.data[0] = test_rand_tensor(&op.in_shape[0], 500 + (uint64_t)_i, -1.0f, 1.0f);
    free(test_compare_op(&op, &in, 1e-30, 0.0));
    test_inputs_free(&in);
}
END_TEST

static const int up_shapes[][3] = {{3, 1, 1}, {5, 7, 9},   {2, 2, 3},
                                   {16, 32, 32}, {1, 1, 5}, {3, 4, 40}};
#define N_UP_SHAPES ((int)(sizeof up_shapes / sizeof up_shapes[0]))

START_TEST(test_upsample2x)
{
    fnrt_op op;
    test_inputs in = {{0}};
    const int *sh = up_shapes[_i / 2];
    test_op_init(&op, FNRT_OP_UPSAMPLE2X, 1, _i % 2 ? "upsample align_corners=1"
                                               : "upsample align_corners=0");
    op.in_shape[0] = test_shape3(sh[0], sh[1], sh[2]);
    op.out_shape = test_shape3(sh[0], 2 * sh[1], 2 * sh[2]);
    op.p.up.align_corners = _i % 2;
    in.data[0] = test_rand_tensor(&op.in_shape[0], 600 + (uint64_t)_i, -1.0f, 1.0f);
    free(test_compare_op(&op, &in, 1e-6, 1e-6));
    test_inputs_free(&in);
}
END_TEST

static const int avg_shapes[][3] = {{5, 7, 9}, {16, 32, 32}, {3, 1, 1}, {1, 256, 256}, {33, 2, 3}};
#define N_AVG_SHAPES ((int)(sizeof avg_shapes / sizeof avg_shapes[0]))

static void avgpool_all_shapes(uint64_t seed)
{
    for (int i = 0; i < N_AVG_SHAPES; i++) {
        fnrt_op op;
        test_inputs in = {{0}};
        test_op_init(&op, FNRT_OP_GLOBAL_AVGPOOL, 1, "global_avgpool");
        op.in_shape[0] = test_shape3(avg_shapes[i][0], avg_shapes[i][1], avg_shapes[i][2]);
        op.out_shape = test_shape3(avg_shapes[i][0], 1, 1);
        in.data[0] = test_rand_tensor(&op.in_shape[0], seed + (uint64_t)i, -1.0f, 1.0f);
        free(test_compare_op(&op, &in, 1e-6, 1e-5));
        test_inputs_free(&in);
    }
}

START_TEST(test_global_avgpool)
{
    avgpool_all_shapes(700);
}
END_TEST

/* The reduction at several work-group sizes (PoCL has miscompiled some reduction forms). */
static const char *const red_sizes[] = {"FNRT_RED_LS=1", "FNRT_RED_LS=2", "FNRT_RED_LS=16",
                                        "FNRT_RED_LS=256"};

START_TEST(test_global_avgpool_local_sizes)
{
    test_ops_retune(red_sizes[_i]);
    avgpool_all_shapes(750 + 10 * (uint64_t)_i);
}
END_TEST

/* ---- concat, modulate, gray, l2norm ---- */

static const int cat_cases[][5] = {
    /* ca, cb, h, w, stride_b */
    {5, 8, 7, 9, 1}, {3, 13, 7, 9, 4}, {1, 6, 1, 1, 4}, {16, 17, 32, 32, 1}, {2, 3, 2, 2, 4},
};

START_TEST(test_concat)
{
    fnrt_op op;
    test_inputs in = {{0}};
    const int *c = cat_cases[_i];
    test_op_init(&op, FNRT_OP_CONCAT, 2, "concat");
    op.in_shape[0] = test_shape3(c[0], c[2], c[3]);
    op.in_shape[1] = test_shape3(c[1], c[2], c[3]);
    op.out_shape = test_shape3(c[0] + (c[1] + c[4] - 1) / c[4], c[2], c[3]);
    op.p.cat.stride_b = c[4];
    in.data[0] = test_rand_tensor(&op.in_shape[0], 800 + (uint64_t)_i, -1.0f, 1.0f);
    in.data[1] = test_rand_tensor(&op.in_shape[1], 850 + (uint64_t)_i, -1.0f, 1.0f);
    free(test_compare_op(&op, &in, 1e-30, 0.0));
    test_inputs_free(&in);
}
END_TEST

static const int mod_cases[][4] = {{16, 13, 3, 3}, {33, 5, 3, 3}, {1, 3, 3, 3}, {5, 17, 1, 1}};

static void modulate_op(fnrt_op *op, const int *c)
{
    test_op_init(op, FNRT_OP_MODULATE, 2, "modulate");
    op->in_shape[0] = test_shape4(c[0], c[1], c[2], c[3]);
    op->in_shape[1] = test_shape3(c[1], 1, 1);
    op->out_shape = op->in_shape[0];
    op->p.mod.scale = (float)(1.0 / sqrt((double)c[1] * c[2] * c[3]));
    op->p.mod.eps = 1e-8f;
}

START_TEST(test_modulate)
{
    fnrt_op op;
    test_inputs in = {{0}};
    modulate_op(&op, mod_cases[_i]);
    in.data[0] = test_rand_tensor(&op.in_shape[0], 900 + (uint64_t)_i, -1.0f, 1.0f);
    in.data[1] = test_rand_tensor(&op.in_shape[1], 950 + (uint64_t)_i, -1.5f, 1.5f);
    free(test_compare_op(&op, &in, 1e-6, 1e-5));
    test_inputs_free(&in);
}
END_TEST

START_TEST(test_gray)
{
    static const int sh[][2] = {{7, 9}, {32, 32}, {1, 1}};
    fnrt_op op;
    test_inputs in = {{0}};
    test_op_init(&op, FNRT_OP_GRAY, 1, "gray");
    op.in_shape[0] = test_shape3(3, sh[_i][0], sh[_i][1]);
    op.out_shape = test_shape3(1, sh[_i][0], sh[_i][1]);
    in.data[0] = test_rand_tensor(&op.in_shape[0], 1000 + (uint64_t)_i, 0.0f, 1.0f);
    free(test_compare_op(&op, &in, 1e-6, 1e-6));
    test_inputs_free(&in);
}
END_TEST

/* The FMA-peak probe (kernels_cl/peak.cl, used by fnrt bench) runs and reports a rate. */
START_TEST(test_peak)
{
    double gflops = 0.0;
    ck_assert_msg(fnrt_opencl_measure_peak(test_cl_ctx, &gflops) == FNRT_OK, "%s",
                  fnrt_last_error());
    ck_assert_msg(gflops > 0.0, "peak %g GFLOP/s", gflops);
}
END_TEST

START_TEST(test_l2norm)
{
    static const int sh[][2] = {{7, 9}, {32, 32}, {1, 1}};
    fnrt_op op;
    test_inputs in = {{0}};
    int h = sh[_i / 2][0], w = sh[_i / 2][1];
    size_t plane = (size_t)h * w;
    test_op_init(&op, FNRT_OP_L2NORM, 1, _i % 2 ? "l2norm swizzle" : "l2norm");
    op.in_shape[0] = test_shape3(3, h, w);
    op.out_shape = test_shape3(3, h, w);
    op.p.l2.swizzle = _i % 2;
    op.p.l2.eps = 1e-12f;
    in.data[0] = test_rand_tensor(&op.in_shape[0], 1100 + (uint64_t)_i, -1.0f, 1.0f);
    /* a zero vector (first pixel) and a tiny one (last pixel) */
    for (int c = 0; c < 3; c++) {
        in.data[0][c * plane] = 0.0f;
        if (plane > 1)
            in.data[0][c * plane + plane - 1] = 1e-20f;
    }
    free(test_compare_op(&op, &in, 1e-6, 1e-5));
    test_inputs_free(&in);
}
END_TEST

/* ---- device-side weights: modulate -> conv, weights rewritten between convs ---- */

/* Runs modulate(w, s) -> wm and conv(x, wm) on one backend, twice with different styles
 * and then once more after overwriting wm from the host; returns the three outputs
 * concatenated. */
static float *modconv_chain(const fnrt_backend_ops *be, void *ctx, const fnrt_op *mod,
                            const fnrt_op *conv, float *const host[5])
{
    /* host: w, s1, s2, x, w_direct */
    fnrt_buf *w, *s, *wm, *x, *y;
    size_t n_y = fnrt_shape_elems(&conv->out_shape);
    float *out = malloc(3 * n_y * sizeof(float));
    ck_assert_ptr_nonnull(out);
    ck_assert(be->buf_create(ctx, &mod->in_shape[0], &w) == FNRT_OK);
    ck_assert(be->buf_create(ctx, &mod->in_shape[1], &s) == FNRT_OK);
    ck_assert(be->buf_create(ctx, &mod->out_shape, &wm) == FNRT_OK);
    ck_assert(be->buf_create(ctx, &conv->in_shape[0], &x) == FNRT_OK);
    ck_assert(be->buf_create(ctx, &conv->out_shape, &y) == FNRT_OK);
    ck_assert(be->buf_write(ctx, w, host[0], fnrt_shape_elems(&mod->in_shape[0])) == FNRT_OK);
    ck_assert(be->buf_write(ctx, x, host[3], fnrt_shape_elems(&conv->in_shape[0])) == FNRT_OK);
    for (int pass = 0; pass < 3; pass++) {
        if (pass < 2) {
            ck_assert(be->buf_write(ctx, s, host[1 + pass], fnrt_shape_elems(&mod->in_shape[1])) ==
                      FNRT_OK);
            fnrt_buf *margs[3] = {w, s, wm};
            ck_assert_msg(be->run[FNRT_OP_MODULATE](ctx, mod, margs) == FNRT_OK, "%s",
                          fnrt_last_error());
        } else {
            ck_assert(be->buf_write(ctx, wm, host[4], fnrt_shape_elems(&mod->out_shape)) ==
                      FNRT_OK);
        }
        fnrt_buf *cargs[5] = {x, wm, NULL, NULL, y};
        ck_assert_msg(be->run[FNRT_OP_CONV2D](ctx, conv, cargs) == FNRT_OK, "%s",
                      fnrt_last_error());
        ck_assert(be->buf_read(ctx, y, out + pass * n_y, n_y) == FNRT_OK);
    }
    be->buf_free(ctx, w);
    be->buf_free(ctx, s);
    be->buf_free(ctx, wm);
    be->buf_free(ctx, x);
    be->buf_free(ctx, y);
    return out;
}

START_TEST(test_modulate_then_conv)
{
    static const int mc[4] = {13, 5, 3, 3}; /* Co != Ci */
    fnrt_op mod, conv;
    modulate_op(&mod, mc);
    test_conv_case cc = {5, 7, 9, 13, 3, 3, 1, 1, 0, 0, FNRT_ACT_LEAKY, FNRT_ACT_NONE, 0.2f, 0};
    test_conv_op(&conv, &cc);
    conv.in[2] = conv.in[3] = -1;
    float *host[5];
    host[0] = test_rand_tensor(&mod.in_shape[0], 1200, -1.0f, 1.0f);
    host[1] = test_rand_tensor(&mod.in_shape[1], 1201, 0.5f, 1.5f);
    host[2] = test_rand_tensor(&mod.in_shape[1], 1202, -1.5f, -0.5f);
    host[3] = test_rand_tensor(&conv.in_shape[0], 1203, -1.0f, 1.0f);
    host[4] = test_rand_tensor(&mod.out_shape, 1204, -0.3f, 0.3f);
    float *want = modconv_chain(REF, test_ref_ctx, &mod, &conv, host);
    float *got = modconv_chain(CL, test_cl_ctx, &mod, &conv, host);
    size_t n_y = fnrt_shape_elems(&conv.out_shape);
    double tol = test_conv_tol(&conv);
    test_check_close("modulate(style 1) -> conv", got, want, n_y, tol, tol);
    test_check_close("modulate(style 2) -> conv (weights re-packed)", got + n_y, want + n_y, n_y,
                tol, tol);
    test_check_close("host-written weights -> conv", got + 2 * n_y, want + 2 * n_y, n_y, tol, tol);
    for (int i = 0; i < 5; i++)
        free(host[i]);
    free(want);
    free(got);
}
END_TEST

/* ---- device selection, errors, limits ---- */

START_TEST(test_unknown_device)
{
    static const char *const bad[] = {"no-such-device-xyz", "999", "0:99", "99:0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *ctx = NULL;
        fnrt_status st = CL->create(bad[i], &ctx);
        ck_assert_msg(st == FNRT_ERR_INVALID_ARG, "'%s' gave %d", bad[i], (int)st);
        ck_assert_ptr_null(ctx);
        const char *msg = fnrt_last_error();
        ck_assert_msg(strstr(msg, bad[i]) != NULL, "message does not name '%s': %s", bad[i], msg);
        ck_assert_msg(strstr(msg, "devices found: 0 (0:0) ") != NULL,
                      "message does not list the devices: %s", msg);
    }
}
END_TEST

/* "N", "P:N" and a case-changed substring of the name listed by fnrt_opencl_list_devices
 * all open device 0. */
START_TEST(test_device_selectors)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(mem);
    ck_assert(fnrt_opencl_list_devices(mem) == FNRT_OK);
    fclose(mem);
    const char *d0 = strstr(text, "device 0 (0:0): ");
    ck_assert_msg(d0 != NULL, "listing: %s", text);
    ck_assert_msg(strstr(text, "compute units") && strstr(text, "max alloc"), "listing: %s",
                  text);
    char sub[64];
    const char *name = d0 + strlen("device 0 (0:0): ");
    size_t n = strcspn(name, "[\n");
    while (n > 0 && name[n - 1] == ' ')
        n--;
    if (n > sizeof sub - 1)
        n = sizeof sub - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        sub[i] = (char)((i % 2) ? toupper(ch) : tolower(ch));
    }
    sub[n] = '\0';
    const char *sels[] = {"0", "0:0", sub, ""};
    for (size_t i = 0; i < sizeof sels / sizeof sels[0]; i++) {
        void *ctx = NULL;
        fnrt_status st = CL->create(sels[i], &ctx);
        ck_assert_msg(st == FNRT_OK, "'%s': %s", sels[i], fnrt_last_error());
        ck_assert_ptr_nonnull(strstr(CL->device_name(ctx), "("));
        CL->destroy(ctx);
    }
    free(text);
}
END_TEST

START_TEST(test_error_names)
{
    ck_assert_str_eq(fnrt_cl_error_name(0), "CL_SUCCESS");
    ck_assert_str_eq(fnrt_cl_error_name(-11), "CL_BUILD_PROGRAM_FAILURE");
    ck_assert_str_eq(fnrt_cl_error_name(-61), "CL_INVALID_BUFFER_SIZE");
    ck_assert_str_eq(fnrt_cl_error_name(-1001), "CL_PLATFORM_NOT_FOUND_KHR");
    ck_assert_str_eq(fnrt_cl_error_name(12345), "CL_UNKNOWN_ERROR");
}
END_TEST

START_TEST(test_bad_tuning)
{
    test_ops_set_tune("FNRT_CONV_PW=5");
    void *ctx = NULL;
    ck_assert_int_eq(CL->create(NULL, &ctx), FNRT_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "FNRT_CONV_PW"));
    test_ops_set_tune("NO_SUCH=1");
    ck_assert_int_eq(CL->create(NULL, &ctx), FNRT_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "NO_SUCH"));
    test_ops_set_tune(NULL);
}
END_TEST

/* A buffer beyond CL_DEVICE_MAX_MEM_ALLOC_SIZE is a clean FNRT_ERR_NOMEM naming the size. */
START_TEST(test_alloc_limit)
{
    fnrt_shape huge = test_shape3(1, (int64_t)1 << 16, (int64_t)1 << 16); /* 16 GiB of floats */
    fnrt_buf *b = NULL;
    fnrt_status st = CL->buf_create(test_cl_ctx, &huge, &b);
    ck_assert_int_eq(st, FNRT_ERR_NOMEM);
    ck_assert_ptr_null(b);
    ck_assert_msg(strstr(fnrt_last_error(), "17179869184 bytes") != NULL, "%s",
                  fnrt_last_error());
}
END_TEST

/* Shape mismatches are refused before anything reaches the device. */
START_TEST(test_bad_shapes)
{
    fnrt_op op;
    test_conv_op(&op, &conv_cases[5]);
    op.out_shape.dims[2] += 1; /* wrong Wo */
    fnrt_buf *args[5] = {0};
    for (int i = 0; i < 2; i++)
        ck_assert(CL->buf_create(test_cl_ctx, &op.in_shape[i], &args[i]) == FNRT_OK);
    ck_assert(CL->buf_create(test_cl_ctx, &op.out_shape, &args[4]) == FNRT_OK);
    ck_assert_int_eq(CL->run[FNRT_OP_CONV2D](test_cl_ctx, &op, args), FNRT_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), op.name));
    for (int i = 0; i < 5; i++)
        if (args[i])
            CL->buf_free(test_cl_ctx, args[i]);
}
END_TEST

/* ---- program cache, kernel-source folder, build errors ---- */

static float gray_once(void *ctx, const float *x, int h, int w, fnrt_status *st_out)
{
    fnrt_op op;
    test_op_init(&op, FNRT_OP_GRAY, 1, "gray");
    op.in_shape[0] = test_shape3(3, h, w);
    op.out_shape = test_shape3(1, h, w);
    fnrt_buf *args[2];
    ck_assert(CL->buf_create(ctx, &op.in_shape[0], &args[0]) == FNRT_OK);
    ck_assert(CL->buf_create(ctx, &op.out_shape, &args[1]) == FNRT_OK);
    ck_assert(CL->buf_write(ctx, args[0], x, (size_t)3 * h * w) == FNRT_OK);
    float y0 = NAN;
    *st_out = CL->run[FNRT_OP_GRAY](ctx, &op, args);
    if (*st_out == FNRT_OK) {
        float *y = malloc((size_t)h * w * sizeof(float));
        ck_assert(CL->buf_read(ctx, args[1], y, (size_t)h * w) == FNRT_OK);
        y0 = y[0];
        free(y);
    }
    CL->buf_free(ctx, args[0]);
    CL->buf_free(ctx, args[1]);
    return y0;
}

/* Path of the single *.clbin in dir (malloc'ed) and the count of them. */
static char *find_cache_file(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    char *found = NULL;
    *count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 6 && strcmp(e->d_name + n - 6, ".clbin") == 0) {
            (*count)++;
            free(found);
            found = malloc(strlen(dir) + n + 2);
            sprintf(found, "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    return found;
}

START_TEST(test_program_cache)
{
    char *dir = test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char *saved = getenv("FNRT_CACHE_DIR") ? strdup(getenv("FNRT_CACHE_DIR")) : NULL;
    setenv("FNRT_CACHE_DIR", dir, 1);
    float x[3 * 4] = {3, 1, 1, 1, 6, 1, 1, 1, 0, 1, 1, 1};
    unsigned hits, misses, broken;
    fnrt_status st;
    void *ctx;

    /* 1: cold: compiled, entry written */
    ck_assert(CL->create(NULL, &ctx) == FNRT_OK);
    ck_assert_str_eq(fnrt_opencl_cache_dir(ctx), dir);
    ck_assert(fabsf(gray_once(ctx, x, 2, 2, &st) - 3.0f) < 1e-6f);
    fnrt_opencl_cache_stats(ctx, &hits, &misses, &broken);
    ck_assert_uint_eq(hits, 0);
    ck_assert_uint_eq(misses, 1);
    CL->destroy(ctx);
    int count;
    char *path = find_cache_file(dir, &count);
    ck_assert_int_eq(count, 1);

    /* 2: warm: loaded from the cache */
    ck_assert(CL->create(NULL, &ctx) == FNRT_OK);
    ck_assert(fabsf(gray_once(ctx, x, 2, 2, &st) - 3.0f) < 1e-6f);
    fnrt_opencl_cache_stats(ctx, &hits, &misses, &broken);
    ck_assert_uint_eq(hits, 1);
    ck_assert_uint_eq(misses, 0);
    CL->destroy(ctx);

    /* 3: corrupted entry (a flipped byte in the payload): recompiled and rewritten */
    size_t n_bytes = 0;
    unsigned char *bytes = test_read_file(path, &n_bytes);
    ck_assert_ptr_nonnull(bytes);
    ck_assert(n_bytes > 40);
    bytes[n_bytes / 2] ^= 0x5a;
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert(fwrite(bytes, 1, n_bytes, f) == n_bytes);
    fclose(f);
    free(bytes);
    ck_assert(CL->create(NULL, &ctx) == FNRT_OK);
    ck_assert(fabsf(gray_once(ctx, x, 2, 2, &st) - 3.0f) < 1e-6f);
    fnrt_opencl_cache_stats(ctx, &hits, &misses, &broken);
    ck_assert_uint_eq(hits, 0);
    ck_assert_uint_eq(misses, 1);
    ck_assert_uint_eq(broken, 1);
    CL->destroy(ctx);

    /* 4: truncated entry (garbage header): same */
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("garbage", f);
    fclose(f);
    ck_assert(CL->create(NULL, &ctx) == FNRT_OK);
    ck_assert(fabsf(gray_once(ctx, x, 2, 2, &st) - 3.0f) < 1e-6f);
    fnrt_opencl_cache_stats(ctx, &hits, &misses, &broken);
    ck_assert_uint_eq(broken, 1);
    CL->destroy(ctx);

    /* 5: the rewritten entry is good again */
    ck_assert(CL->create(NULL, &ctx) == FNRT_OK);
    ck_assert(fabsf(gray_once(ctx, x, 2, 2, &st) - 3.0f) < 1e-6f);
    fnrt_opencl_cache_stats(ctx, &hits, &misses, &broken);
    ck_assert_uint_eq(hits, 1);
    ck_assert_uint_eq(misses, 0);
    CL->destroy(ctx);
    free(find_cache_file(dir, &count));
    ck_assert_int_eq(count, 1);

    remove(path);
    free(path);
    rmdir(dir);
    free(dir);
    if (saved)
        setenv("FNRT_CACHE_DIR", saved, 1);
    else
        unsetenv("FNRT_CACHE_DIR");
    free(saved);
}
END_TEST

/* FNRT_KERNEL_DIR: sources from a folder; a broken source gives FNRT_ERR_DEVICE with the CL
 * code and the build log; a missing one FNRT_ERR_IO. */
START_TEST(test_kernel_dir_build_error)
{
    char *dir = test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/elementwise.cl", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("__kernel void fnrt_gray(__global float *x) { this is not OpenCL; }\n", f);
    fclose(f);
    char *saved = getenv("FNRT_CACHE_DIR") ? strdup(getenv("FNRT_CACHE_DIR")) : NULL;
    setenv("FNRT_KERNEL_DIR", dir, 1);
    setenv("FNRT_CACHE_DIR", dir, 1);
    float x[3] = {1, 2, 3};
    fnrt_status st;
    void *ctx;
    ck_assert(CL->create(NULL, &ctx) == FNRT_OK);
    gray_once(ctx, x, 1, 1, &st);
    ck_assert_int_eq(st, FNRT_ERR_DEVICE);
    const char *msg = fnrt_last_error();
    ck_assert_msg(strstr(msg, "elementwise.cl") && strstr(msg, "CL_BUILD_PROGRAM_FAILURE (-11)") &&
                      strstr(msg, "build log"),
                  "%s", msg);
    /* missing file */
    fnrt_op op;
    test_op_init(&op, FNRT_OP_MAXPOOL, 1, "maxpool");
    op.in_shape[0] = test_shape3(1, 2, 2);
    op.out_shape = test_shape3(1, 1, 1);
    op.p.pool = (fnrt_pool_params){2, 2, 0};
    fnrt_buf *args[2];
    ck_assert(CL->buf_create(ctx, &op.in_shape[0], &args[0]) == FNRT_OK);
    ck_assert(CL->buf_create(ctx, &op.out_shape, &args[1]) == FNRT_OK);
    ck_assert_int_eq(CL->run[FNRT_OP_MAXPOOL](ctx, &op, args), FNRT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "pool.cl"));
    CL->buf_free(ctx, args[0]);
    CL->buf_free(ctx, args[1]);
    CL->destroy(ctx);
    unsetenv("FNRT_KERNEL_DIR");
    if (saved)
        setenv("FNRT_CACHE_DIR", saved, 1);
    else
        unsetenv("FNRT_CACHE_DIR");
    free(saved);
    remove(path);
    rmdir(dir);
    free(dir);
}
END_TEST

static Suite *ops_suite(void)
{
    Suite *s = suite_create("ops");

    TCase *tc = tcase_create("conv");
    tcase_add_checked_fixture(tc, test_ops_ctx_setup, test_ops_ctx_teardown);
    tcase_set_timeout(tc, BUILD_TIMEOUT);
    tcase_add_loop_test(tc, test_conv2d, 0, N_CONV_CASES);
    tcase_add_loop_test(tc, test_deconv2d, 0, N_DECONV_CASES);
    tcase_add_loop_test(tc, test_conv_tunings, 0, (int)(sizeof tunings / sizeof tunings[0]));
    tcase_add_test(tc, test_modulate_then_conv);
    suite_add_tcase(s, tc);

    tc = tcase_create("misc");
    tcase_add_checked_fixture(tc, test_ops_ctx_setup, test_ops_ctx_teardown);
    tcase_set_timeout(tc, BUILD_TIMEOUT);
    tcase_add_test(tc, test_peak);
    tcase_add_loop_test(tc, test_maxpool, 0, (int)(sizeof pool_cases / sizeof pool_cases[0]));
    tcase_add_loop_test(tc, test_upsample2x, 0, 2 * N_UP_SHAPES);
    tcase_add_test(tc, test_global_avgpool);
    tcase_add_loop_test(tc, test_global_avgpool_local_sizes, 0,
                        (int)(sizeof red_sizes / sizeof red_sizes[0]));
    tcase_add_loop_test(tc, test_concat, 0, (int)(sizeof cat_cases / sizeof cat_cases[0]));
    tcase_add_loop_test(tc, test_modulate, 0, (int)(sizeof mod_cases / sizeof mod_cases[0]));
    tcase_add_loop_test(tc, test_gray, 0, 3);
    tcase_add_loop_test(tc, test_l2norm, 0, 6);
    tcase_add_test(tc, test_alloc_limit);
    tcase_add_test(tc, test_bad_shapes);
    suite_add_tcase(s, tc);

    tc = tcase_create("device");
    tcase_set_timeout(tc, BUILD_TIMEOUT);
    tcase_add_test(tc, test_unknown_device);
    tcase_add_test(tc, test_device_selectors);
    tcase_add_test(tc, test_error_names);
    tcase_add_test(tc, test_bad_tuning);
    tcase_add_test(tc, test_program_cache);
    tcase_add_test(tc, test_kernel_dir_build_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
