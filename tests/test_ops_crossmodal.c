/* The ops the cross-modal network (Abrevaya et al. 2020) brought in, on OpenCL against the
 * plain-C reference backend, plus their graph builders:
 *   add        residual add with the activation after the sum (ResNet BasicBlock)
 *   maxmerge   channel-slice max-merge of the decoder skips (K = 0 .. C-1)
 *   conv2d     7x7 stride 2 pad 3 (ResNet stem), 3x3 stride 2 pad 1 and 1x1 stride 2
 *              (first block of layer2..4 and its downsample), each with its own
 *              specialised kernel, also under other tunings (vector widths, channel blocks)
 *   maxpool    3x3 stride 2 pad 1 (ResNet layer1)
 *   upsample2x align_corners=True (the decoder), at the network's shapes
 * Shapes: the network's own (full size where the reference backend is fast enough, else
 * reduced) plus odd ones that hit the vector tails and borders.  FNRT_TEST_SMALL=1 (the
 * oclgrind phase of tools/run-tests.sh) skips the ops above about a million multiply-adds or
 * elements (tests/test-ops-util.h); every kernel still runs on the small shapes.
 *
 * Tolerances (|cl - ref| <= atol + rtol*|ref| per element), as tests/test_ops.c:
 *   conv2d       atol = rtol = 1e-5 * sqrt(Ci*kh*kw)  (summation order)
 *   upsample2x   atol = rtol = 1e-6                  (same float formula)
 *   add (tanh)   atol 1e-6, rtol 1e-5
 *   add (other acts), maxmerge, maxpool  exact: the same single float operations
 * Every OpenCL object is created inside the forked test (checked fixture). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "fnrt/fnrt-backend.h"
#include "test-ops-util.h"

#define BUILD_TIMEOUT 600 /* seconds: cold PoCL builds of the conv program */

static const fnrt_backend_ops *const CL = &fnrt_backend_opencl;
static const fnrt_backend_ops *const REF = &fnrt_backend_ref;

/* ---- add ---- */

static const struct {
    int c, h, w;
    fnrt_act act;
} add_cases[] = {
    {64, 64, 64, FNRT_ACT_RELU},  /* layer1 at full size */
    {512, 8, 8, FNRT_ACT_RELU},   /* layer4 */
    {3, 5, 7, FNRT_ACT_RELU},     /* 105 elements: scalar tail */
    {1, 1, 1, FNRT_ACT_NONE},     /* a single element */
    {5, 3, 3, FNRT_ACT_NONE},
    {16, 9, 11, FNRT_ACT_LEAKY},
    {7, 13, 3, FNRT_ACT_TANH},
};
#define N_ADD_CASES ((int)(sizeof add_cases / sizeof add_cases[0]))

START_TEST(test_add)
{
    fnrt_op op;
    test_inputs in = {{0}};
    char name[64];
    snprintf(name, sizeof name, "add %dx%dx%d act %d", add_cases[_i].c, add_cases[_i].h,
             add_cases[_i].w, (int)add_cases[_i].act);
    test_op_init(&op, FNRT_OP_ADD, 2, name);
    op.in_shape[0] = op.in_shape[1] = op.out_shape =
        test_shape3(add_cases[_i].c, add_cases[_i].h, add_cases[_i].w);
    op.p.add.act = add_cases[_i].act;
    op.p.add.alpha = 0.2f;
    in.data[0] = test_rand_tensor(&op.in_shape[0], 3000 + (uint64_t)_i, -1.0f, 1.0f);
    in.data[1] = test_rand_tensor(&op.in_shape[1], 3050 + (uint64_t)_i, -1.0f, 1.0f);
    int tanh_act = add_cases[_i].act == FNRT_ACT_TANH;
    float *want = test_compare_op(&op, &in, tanh_act ? 1e-6 : 1e-30, tanh_act ? 1e-5 : 0.0);
    /* the reference itself against the definition */
    size_t n = want ? fnrt_shape_elems(&op.out_shape) : 0; /* want NULL: FNRT_TEST_SMALL */
    for (size_t j = 0; j < n; j++) {
        float s = in.data[0][j] + in.data[1][j];
        float e = s;
        if (op.p.add.act == FNRT_ACT_RELU)
            e = s > 0.0f ? s : 0.0f;
        else if (op.p.add.act == FNRT_ACT_LEAKY)
            e = s >= 0.0f ? s : 0.2f * s;
        else if (op.p.add.act == FNRT_ACT_TANH)
            e = tanhf(s);
        ck_assert_msg(want[j] == e, "reference add element %zu: %g, want %g", j,
                      (double)want[j], (double)e);
    }
    free(want);
    test_inputs_free(&in);
}
END_TEST

/* ---- maxmerge ---- */

static const int merge_cases[][4] = {
    /* C, K, H, W */
    {96, 64, 16, 16},   /* merge3 of the reduced-width model */
    {768, 512, 16, 16}, /* merge3 at full size */
    {24, 16, 64, 64},   /* merge_original, reduced width, part of the plane */
    {7, 3, 5, 5},       /* plane 25: quads straddle the kept/merged boundary */
    {5, 0, 3, 3},       /* K = 0: every channel merged */
    {5, 4, 3, 3},       /* K = C-1 */
    {1, 0, 1, 1},
    {3, 1, 1, 7},
};
#define N_MERGE_CASES ((int)(sizeof merge_cases / sizeof merge_cases[0]))

START_TEST(test_maxmerge)
{
    fnrt_op op;
    test_inputs in = {{0}};
    const int *m = merge_cases[_i];
    char name[64];
    snprintf(name, sizeof name, "maxmerge C%d K%d %dx%d", m[0], m[1], m[2], m[3]);
    test_op_init(&op, FNRT_OP_MAXMERGE, 2, name);
    op.in_shape[0] = op.out_shape = test_shape3(m[0], m[2], m[3]);
    op.in_shape[1] = test_shape3(m[0] - m[1], m[2], m[3]);
    op.p.merge.k = m[1];
    in.data[0] = test_rand_tensor(&op.in_shape[0], 3100 + (uint64_t)_i, -1.0f, 1.0f);
    in.data[1] = test_rand_tensor(&op.in_shape[1], 3150 + (uint64_t)_i, -1.0f, 1.0f);
    float *want = test_compare_op(&op, &in, 1e-30, 0.0);
    size_t plane = (size_t)m[2] * m[3], n = (size_t)m[0] * plane, kept = (size_t)m[1] * plane;
    if (!want) /* FNRT_TEST_SMALL */
        n = kept = 0;
    size_t n_skip = 0;
    for (size_t j = 0; j < n; j++) {
        float e = j < kept ? in.data[0][j] : fmaxf(in.data[0][j], in.data[1][j - kept]);
        n_skip += j >= kept && in.data[1][j - kept] > in.data[0][j];
        ck_assert_msg(want[j] == e, "reference maxmerge element %zu", j);
    }
    if (n - kept >= 16) /* the skip actually wins somewhere */
        ck_assert(n_skip > 0 && n_skip < n - kept);
    free(want);
    test_inputs_free(&in);
}
END_TEST

/* ---- conv2d: 7x7 s2 p3, 3x3 s2 p1, 1x1 s2 p0 ---- */

/* Ci, H, W, Co, kh, kw, stride, pad, bias, residual, act_in, act_out, alphas */
static const test_conv_case conv_cases[] = {
    /* ResNet stem at full size: 3x256x256 -> 64x128x128 */
    {3, 256, 256, 64, 7, 7, 2, 3, 1, 0, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    {3, 37, 29, 13, 7, 7, 2, 3, 0, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    /* 4x4 output: im2col path */
    {5, 8, 8, 17, 7, 7, 2, 3, 1, 0, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    {3, 7, 7, 16, 7, 7, 2, 3, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {1, 1, 1, 3, 7, 7, 2, 3, 1, 0, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    /* layer2.0.conv1 at full size: 64x64x64 -> 128x32x32 */
    {64, 64, 64, 128, 3, 3, 2, 1, 1, 0, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    {16, 33, 31, 32, 3, 3, 2, 1, 0, 0, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    {8, 2, 2, 16, 3, 3, 2, 1, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {5, 1, 1, 3, 3, 3, 2, 1, 1, 0, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    /* layer2.0.downsample at full size, odd sizes */
    {64, 64, 64, 128, 1, 1, 2, 0, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {7, 9, 11, 5, 1, 1, 2, 0, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
    {3, 1, 1, 4, 1, 1, 2, 0, 0, 0, FNRT_ACT_NONE, FNRT_ACT_RELU, 0, 0},
    {32, 16, 16, 64, 1, 1, 2, 0, 1, 0, FNRT_ACT_NONE, FNRT_ACT_NONE, 0, 0},
};
#define N_CONV_CASES ((int)(sizeof conv_cases / sizeof conv_cases[0]))

START_TEST(test_conv_strided)
{
    test_conv_compare(&conv_cases[_i], 3200 + 10 * (uint64_t)_i);
}
END_TEST

/* Other tunings (the GPU column, every pixel vector width, odd channel blocks) on the
 * strided kernels, each in a context created with $FNRT_OPENCL_TUNE. */
static const char *const tunings[] = {
    "FNRT_CONV_OB=8,FNRT_CONV_PW=4,FNRT_CONV_LS=64",
    "FNRT_CONV_OB=3,FNRT_CONV_PW=2,FNRT_CONV_LS=1",
    "FNRT_CONV_OB=5,FNRT_CONV_PW=8,FNRT_CONV_LS=4,FNRT_EW_LS=7",
};

START_TEST(test_conv_strided_tunings)
{
    test_ops_retune(tunings[_i]);
    static const int pick[] = {1, 2, 6, 7, 10};
    for (size_t j = 0; j < sizeof pick / sizeof pick[0]; j++)
        test_conv_compare(&conv_cases[pick[j]], 3400 + 10 * j);
    /* the merge kernels' scalar tails under another work-group size */
    fnrt_op op;
    test_inputs in = {{0}};
    test_op_init(&op, FNRT_OP_MAXMERGE, 2, "maxmerge under tuning");
    op.in_shape[0] = op.out_shape = test_shape3(7, 5, 5);
    op.in_shape[1] = test_shape3(4, 5, 5);
    op.p.merge.k = 3;
    in.data[0] = test_rand_tensor(&op.in_shape[0], 3490, -1.0f, 1.0f);
    in.data[1] = test_rand_tensor(&op.in_shape[1], 3491, -1.0f, 1.0f);
    free(test_compare_op(&op, &in, 1e-30, 0.0));
    test_inputs_free(&in);
}
END_TEST

/* ---- maxpool 3x3 s2 p1, upsample align_corners=True ---- */

static const int pool_cases[][3] = {
    {64, 128, 128}, /* layer1.0 at full size */
    {8, 7, 9},      /* odd sizes: the last window hangs over the border */
    {3, 2, 2},
    {5, 1, 1},      /* every window mostly padding */
};
#define N_POOL_CASES ((int)(sizeof pool_cases / sizeof pool_cases[0]))

START_TEST(test_maxpool_k3s2p1)
{
    fnrt_op op;
    test_inputs in = {{0}};
    const int *c = pool_cases[_i];
    test_op_init(&op, FNRT_OP_MAXPOOL, 1, "maxpool k3 s2 p1");
    op.in_shape[0] = test_shape3(c[0], c[1], c[2]);
    op.out_shape = test_shape3(c[0], (c[1] + 2 - 3) / 2 + 1, (c[2] + 2 - 3) / 2 + 1);
    op.p.pool = (fnrt_pool_params){3, 2, 1};
    in.data[0] = test_rand_tensor(&op.in_shape[0], 3500 + (uint64_t)_i, -1.0f, 1.0f);
    free(test_compare_op(&op, &in, 1e-30, 0.0));
    test_inputs_free(&in);
}
END_TEST

static const int up_cases[][3] = {
    {768, 8, 8},  /* layer4_1x1 output at full size */
    {40, 64, 64}, /* conv_up1 output, reduced width */
    {3, 1, 1},
    {5, 3, 7},
    {2, 2, 1},
};
#define N_UP_CASES ((int)(sizeof up_cases / sizeof up_cases[0]))

START_TEST(test_upsample_align_corners)
{
    fnrt_op op;
    test_inputs in = {{0}};
    const int *c = up_cases[_i];
    test_op_init(&op, FNRT_OP_UPSAMPLE2X, 1, "upsample2x align_corners=1");
    op.in_shape[0] = test_shape3(c[0], c[1], c[2]);
    op.out_shape = test_shape3(c[0], 2 * c[1], 2 * c[2]);
    op.p.up.align_corners = 1;
    in.data[0] = test_rand_tensor(&op.in_shape[0], 3600 + (uint64_t)_i, -1.0f, 1.0f);
    float *want = test_compare_op(&op, &in, 1e-6, 1e-6);
    /* corners are copied exactly (align_corners=True maps them onto each other) */
    int h = c[1], w = c[2], ho = 2 * h, wo = 2 * w;
    for (int ch = 0; want && ch < c[0]; ch++) { /* want NULL: FNRT_TEST_SMALL */
        const float *x = in.data[0] + (size_t)ch * h * w;
        const float *y = want + (size_t)ch * ho * wo;
        ck_assert(y[0] == x[0]);
        ck_assert(y[wo - 1] == x[w - 1]);
        ck_assert(y[(size_t)(ho - 1) * wo] == x[(size_t)(h - 1) * w]);
        ck_assert(y[(size_t)ho * wo - 1] == x[(size_t)h * w - 1]);
    }
    free(want);
    test_inputs_free(&in);
}
END_TEST

/* ---- refusals ---- */

/* Shape mismatches are refused by the OpenCL launchers before anything is enqueued. */
START_TEST(test_bad_shapes)
{
    fnrt_op op;
    fnrt_buf *args[3] = {0};
    test_op_init(&op, FNRT_OP_ADD, 2, "add with a misshaped b");
    op.in_shape[0] = op.out_shape = test_shape3(4, 5, 6);
    op.in_shape[1] = test_shape3(4, 6, 5);
    for (int i = 0; i < 2; i++)
        ck_assert(CL->buf_create(test_cl_ctx, &op.in_shape[i], &args[i]) == FNRT_OK);
    ck_assert(CL->buf_create(test_cl_ctx, &op.out_shape, &args[2]) == FNRT_OK);
    ck_assert_int_eq(CL->run[FNRT_OP_ADD](test_cl_ctx, &op, args), FNRT_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), op.name));
    for (int i = 0; i < 3; i++)
        CL->buf_free(test_cl_ctx, args[i]);

    test_op_init(&op, FNRT_OP_MAXMERGE, 2, "maxmerge with a wrong K");
    op.in_shape[0] = op.out_shape = test_shape3(6, 4, 4);
    op.in_shape[1] = test_shape3(2, 4, 4);
    op.p.merge.k = 3; /* should be 4 */
    for (int i = 0; i < 2; i++)
        ck_assert(CL->buf_create(test_cl_ctx, &op.in_shape[i], &args[i]) == FNRT_OK);
    ck_assert(CL->buf_create(test_cl_ctx, &op.out_shape, &args[2]) == FNRT_OK);
    ck_assert_int_eq(CL->run[FNRT_OP_MAXMERGE](test_cl_ctx, &op, args), FNRT_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), op.name));
    for (int i = 0; i < 3; i++)
        CL->buf_free(test_cl_ctx, args[i]);
}
END_TEST

/* The graph builders derive K and refuse what the ops cannot do. */
START_TEST(test_graph_builders)
{
    fnrt_graph g;
    fnrt_graph_init(&g);
    fnrt_shape a = test_shape3(10, 4, 4), s = test_shape3(3, 4, 4), big = test_shape3(11, 4, 4),
               other = test_shape3(3, 5, 4);
    int x = fnrt_graph_input(&g, "x", &a), k = fnrt_graph_input(&g, "skip", &s);
    int m = fnrt_graph_maxmerge(&g, "merge", x, k);
    ck_assert_int_ge(m, 0);
    ck_assert_int_eq(g.ops[g.n_ops - 1].p.merge.k, 7);
    ck_assert_int_eq(g.tensors[m].shape.dims[0], 10);
    int r = fnrt_graph_add(&g, "add", x, m, FNRT_ACT_RELU);
    ck_assert_int_ge(r, 0);
    ck_assert_int_eq(g.ops[g.n_ops - 1].p.add.act, FNRT_ACT_RELU);
    ck_assert_int_eq(g.ops[g.n_ops - 1].type, FNRT_OP_ADD);
    int b = fnrt_graph_input(&g, "big", &big);
    ck_assert_int_eq(fnrt_graph_maxmerge(&g, "merge too wide", x, b), -1);
    ck_assert_int_eq(g.status, FNRT_ERR_MODEL);
    fnrt_graph_free(&g);

    fnrt_graph_init(&g);
    x = fnrt_graph_input(&g, "x", &a);
    int o = fnrt_graph_input(&g, "o", &other);
    ck_assert_int_eq(fnrt_graph_add(&g, "add mismatch", x, o, FNRT_ACT_NONE), -1);
    ck_assert_int_eq(g.status, FNRT_ERR_MODEL);
    fnrt_graph_free(&g);
    fnrt_graph_init(&g);
    x = fnrt_graph_input(&g, "x", &a);
    o = fnrt_graph_input(&g, "o", &other);
    ck_assert_int_eq(fnrt_graph_maxmerge(&g, "merge mismatch", x, o), -1);
    ck_assert_int_eq(g.status, FNRT_ERR_MODEL);
    fnrt_graph_free(&g);
    ck_assert_str_eq(fnrt_op_type_str(FNRT_OP_ADD), "add");
    ck_assert_str_eq(fnrt_op_type_str(FNRT_OP_MAXMERGE), "maxmerge");
    ck_assert(REF->run[FNRT_OP_ADD] != NULL && REF->run[FNRT_OP_MAXMERGE] != NULL);
    ck_assert(CL->run[FNRT_OP_ADD] != NULL && CL->run[FNRT_OP_MAXMERGE] != NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops-crossmodal");
    TCase *tc = tcase_create("ops");
    tcase_add_checked_fixture(tc, test_ops_ctx_setup, test_ops_ctx_teardown);
    tcase_set_timeout(tc, BUILD_TIMEOUT);
    tcase_add_loop_test(tc, test_add, 0, N_ADD_CASES);
    tcase_add_loop_test(tc, test_maxmerge, 0, N_MERGE_CASES);
    tcase_add_loop_test(tc, test_conv_strided, 0, N_CONV_CASES);
    tcase_add_loop_test(tc, test_conv_strided_tunings, 0,
                        (int)(sizeof tunings / sizeof tunings[0]));
    tcase_add_loop_test(tc, test_maxpool_k3s2p1, 0, N_POOL_CASES);
    tcase_add_loop_test(tc, test_upsample_align_corners, 0, N_UP_CASES);
    tcase_add_test(tc, test_bad_shapes);
    suite_add_tcase(s, tc);

    tc = tcase_create("graph");
    tcase_add_test(tc, test_graph_builders);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
