#include "test-ops-util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

void *test_cl_ctx;
void *test_ref_ctx;

static char *tune_saved; /* $FNRT_OPENCL_TUNE before test_ops_set_tune, if it was set */
static int tune_changed;

void test_ops_ctx_setup(void)
{
    fnrt_status st = fnrt_backend_opencl.create(getenv("FNRT_TEST_DEVICE"), &test_cl_ctx);
    ck_assert_msg(st == FNRT_OK, "opencl create: %s", fnrt_last_error());
    st = fnrt_backend_ref.create(NULL, &test_ref_ctx);
    ck_assert_msg(st == FNRT_OK, "ref create: %s", fnrt_last_error());
}

void test_ops_ctx_teardown(void)
{
    test_ops_set_tune(NULL);
    if (test_cl_ctx)
        fnrt_backend_opencl.destroy(test_cl_ctx);
    if (test_ref_ctx)
        fnrt_backend_ref.destroy(test_ref_ctx);
    test_cl_ctx = test_ref_ctx = NULL;
}

void test_ops_set_tune(const char *tune)
{
    if (tune) {
        if (!tune_changed) {
            const char *e = getenv("FNRT_OPENCL_TUNE");
            tune_saved = e ? strdup(e) : NULL;
            tune_changed = 1;
        }
        setenv("FNRT_OPENCL_TUNE", tune, 1);
        return;
    }
    if (!tune_changed)
        return;
    if (tune_saved)
        setenv("FNRT_OPENCL_TUNE", tune_saved, 1);
    else
        unsetenv("FNRT_OPENCL_TUNE");
    free(tune_saved);
    tune_saved = NULL;
    tune_changed = 0;
}

void test_ops_retune(const char *tune)
{
    if (test_cl_ctx)
        fnrt_backend_opencl.destroy(test_cl_ctx);
    test_cl_ctx = NULL;
    test_ops_set_tune(tune);
    fnrt_status st = fnrt_backend_opencl.create(getenv("FNRT_TEST_DEVICE"), &test_cl_ctx);
    ck_assert_msg(st == FNRT_OK, "opencl create under %s: %s", tune, fnrt_last_error());
}

fnrt_shape test_shape1(int64_t n)
{
    fnrt_shape s = {1, {n, 0, 0, 0}};
    return s;
}

fnrt_shape test_shape3(int64_t c, int64_t h, int64_t w)
{
    fnrt_shape s = {3, {c, h, w, 0}};
    return s;
}

fnrt_shape test_shape4(int64_t a, int64_t b, int64_t c, int64_t d)
{
    fnrt_shape s = {4, {a, b, c, d}};
    return s;
}

void test_op_init(fnrt_op *op, fnrt_op_type type, int n_in, const char *name)
{
    memset(op, 0, sizeof *op);
    op->type = type;
    op->n_in = n_in;
    snprintf(op->name, sizeof op->name, "%s", name);
    for (int i = 0; i < FNRT_OP_MAX_IN; i++)
        op->in[i] = i < n_in ? i : -1;
    op->out = n_in;
}

float *test_rand_tensor(const fnrt_shape *s, uint64_t seed, float lo, float hi)
{
    size_t n_elems = fnrt_shape_elems(s);
    float *x = malloc((n_elems ? n_elems : 1) * sizeof(float));
    ck_assert_ptr_nonnull(x);
    test_fill_uniform(x, n_elems, seed, lo, hi);
    return x;
}

void test_inputs_free(test_inputs *in)
{
    for (int i = 0; i < FNRT_OP_MAX_IN; i++) {
        free(in->data[i]);
        in->data[i] = NULL;
    }
}

float *test_run_op(const fnrt_backend_ops *be, void *ctx, const fnrt_op *op, const test_inputs *in)
{
    fnrt_buf *args[FNRT_OP_MAX_IN + 1] = {0};
    fnrt_status st;
    for (int i = 0; i < op->n_in; i++) {
        if (!in->data[i])
            continue;
        st = be->buf_create(ctx, &op->in_shape[i], &args[i]);
        ck_assert_msg(st == FNRT_OK, "%s buf_create: %s", be->name, fnrt_last_error());
        st = be->buf_write(ctx, args[i], in->data[i], fnrt_shape_elems(&op->in_shape[i]));
        ck_assert_msg(st == FNRT_OK, "%s buf_write: %s", be->name, fnrt_last_error());
    }
    st = be->buf_create(ctx, &op->out_shape, &args[op->n_in]);
    ck_assert_msg(st == FNRT_OK, "%s buf_create: %s", be->name, fnrt_last_error());
    st = be->run[op->type](ctx, op, args);
    ck_assert_msg(st == FNRT_OK, "%s %s: %s", be->name, op->name, fnrt_last_error());
    if (be->finish) {
        st = be->finish(ctx);
        ck_assert_msg(st == FNRT_OK, "%s finish: %s", be->name, fnrt_last_error());
    }
    size_t n_elems = fnrt_shape_elems(&op->out_shape);
    float *y = malloc(n_elems * sizeof(float));
    ck_assert_ptr_nonnull(y);
    st = be->buf_read(ctx, args[op->n_in], y, n_elems);
    ck_assert_msg(st == FNRT_OK, "%s buf_read: %s", be->name, fnrt_last_error());
    for (int i = 0; i <= op->n_in; i++)
        if (args[i])
            be->buf_free(ctx, args[i]);
    return y;
}

void test_check_close(const char *what, const float *got, const float *want, size_t n, double atol,
                      double rtol)
{
    size_t wi = 0;
    double r = test_tol_ratio(got, want, n, atol, rtol, &wi);
    ck_assert_msg(r <= 1.0,
                  "%s: outside tolerance (atol %g, rtol %g) by %.3gx at element %zu of %zu: "
                  "opencl %.9g, ref %.9g",
                  what, atol, rtol, r, wi, n, (double)got[wi], (double)want[wi]);
}

int test_op_too_big(const fnrt_op *op)
{
    const char *e = getenv("FNRT_TEST_SMALL");
    if (!e || !*e || strcmp(e, "0") == 0)
        return 0;
    double work = (double)fnrt_shape_elems(&op->out_shape);
    if (op->type == FNRT_OP_CONV2D || op->type == FNRT_OP_DECONV2D)
        work *=
            (double)(op->in_shape[1].dims[1] * op->in_shape[1].dims[2] * op->in_shape[1].dims[3]);
    for (int i = 0; i < op->n_in; i++)
        if (op->in[i] >= 0)
            work += (double)fnrt_shape_elems(&op->in_shape[i]);
    return work > 1e6;
}

float *test_compare_op(const fnrt_op *op, const test_inputs *in, double atol, double rtol)
{
    if (test_op_too_big(op))
        return NULL;
    float *want = test_run_op(&fnrt_backend_ref, test_ref_ctx, op, in);
    float *got = test_run_op(&fnrt_backend_opencl, test_cl_ctx, op, in);
    test_check_close(op->name, got, want, fnrt_shape_elems(&op->out_shape), atol, rtol);
    free(got);
    return want;
}

void test_conv_op(fnrt_op *op, const test_conv_case *c)
{
    char name[64];
    snprintf(name, sizeof name, "conv %dx%dx%d->%d k%dx%d s%d p%d", c->ci, c->h, c->w, c->co, c->kh,
             c->kw, c->s, c->pad);
    test_op_init(op, FNRT_OP_CONV2D, 4, name);
    int ho = (c->h + 2 * c->pad - c->kh) / c->s + 1, wo = (c->w + 2 * c->pad - c->kw) / c->s + 1;
    op->in_shape[0] = test_shape3(c->ci, c->h, c->w);
    op->in_shape[1] = test_shape4(c->co, c->ci, c->kh, c->kw);
    if (c->bias)
        op->in_shape[2] = test_shape1(c->co);
    else
        op->in[2] = -1;
    if (c->res)
        op->in_shape[3] = test_shape3(c->co, ho, wo);
    else
        op->in[3] = -1;
    op->out_shape = test_shape3(c->co, ho, wo);
    op->p.conv = (fnrt_conv_params){c->kh,     c->kw,      c->s,        c->pad,
                                    c->act_in, c->act_out, c->alpha_in, c->alpha_out};
}

void test_conv_inputs(const fnrt_op *op, test_inputs *in, uint64_t seed)
{
    double fan_in =
        (double)(op->in_shape[1].dims[1] * op->in_shape[1].dims[2] * op->in_shape[1].dims[3]);
    float wr = (float)(1.0 / sqrt(fan_in));
    memset(in, 0, sizeof *in);
    in->data[0] = test_rand_tensor(&op->in_shape[0], seed, -1.0f, 1.0f);
    in->data[1] = test_rand_tensor(&op->in_shape[1], seed + 1, -wr, wr);
    if (op->in[2] >= 0)
        in->data[2] = test_rand_tensor(&op->in_shape[2], seed + 2, -0.5f, 0.5f);
    if (op->in[3] >= 0)
        in->data[3] = test_rand_tensor(&op->in_shape[3], seed + 3, -1.0f, 1.0f);
}

double test_conv_tol(const fnrt_op *op)
{
    double fan_in;
    const fnrt_shape *w = &op->in_shape[1];
    if (op->type == FNRT_OP_CONV2D) {
        fan_in = (double)(w->dims[1] * w->dims[2] * w->dims[3]);
    } else {
        int s = op->p.conv.stride;
        fan_in = (double)(w->dims[0] * ((w->dims[2] + s - 1) / s) * ((w->dims[3] + s - 1) / s));
    }
    return 1e-5 * sqrt(fan_in);
}

void test_conv_compare(const test_conv_case *c, uint64_t seed)
{
    fnrt_op op;
    test_inputs in;
    test_conv_op(&op, c);
    test_conv_inputs(&op, &in, seed);
    double tol = test_conv_tol(&op);
    free(test_compare_op(&op, &in, tol, tol));
    test_inputs_free(&in);
}
