/* Helpers of the op tests (tests/test_ops.c, tests/test_ops_crossmodal.c): one op at a time on
 * the OpenCL backend against the plain-C reference backend (the oracle).
 *
 * Contexts: test_ops_ctx_setup/teardown as a checked fixture create test_cl_ctx (OpenCL, device
 * $FNRT_TEST_DEVICE) and test_ref_ctx inside the forked test: PoCL's threads do not survive
 * fork() if the parent touched a device.
 *
 * FNRT_TEST_SMALL=1 (for oclgrind, which simulates every work-item): test_compare_op skips ops
 * with more than about a million multiply-adds or elements. */
#ifndef FNRT_TEST_OPS_UTIL_H
#define FNRT_TEST_OPS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "fnrt/fnrt-backend.h"

extern void *test_cl_ctx;
extern void *test_ref_ctx;

void test_ops_ctx_setup(void);
/* Destroys both contexts and puts $FNRT_OPENCL_TUNE back as it was before test_ops_set_tune
 * (tests change it; it matters with CK_FORK=no). */
void test_ops_ctx_teardown(void);
/* Sets $FNRT_OPENCL_TUNE (NULL: back to the value before the first call). */
void test_ops_set_tune(const char *tune);
/* Recreates test_cl_ctx under the tuning tune ($FNRT_OPENCL_TUNE syntax). */
void test_ops_retune(const char *tune);

fnrt_shape test_shape1(int64_t n);
fnrt_shape test_shape3(int64_t c, int64_t h, int64_t w);
fnrt_shape test_shape4(int64_t a, int64_t b, int64_t c, int64_t d);

/* A standalone op: inputs in slots 0 .. n_in-1 (all present), output after them. */
void test_op_init(fnrt_op *op, fnrt_op_type type, int n_in, const char *name);

/* Host inputs of one op: data[i] NULL for absent optional inputs. */
typedef struct test_inputs {
    float *data[FNRT_OP_MAX_IN];
} test_inputs;

/* Uniform floats in [lo,hi) of shape s (malloc'ed); fails the test when out of memory. */
float *test_rand_tensor(const fnrt_shape *s, uint64_t seed, float lo, float hi);
void test_inputs_free(test_inputs *in);

/* Runs op on one backend (buffers created, written, run, read, freed); returns the output
 * (malloc'ed).  Fails the test on any error. */
float *test_run_op(const fnrt_backend_ops *be, void *ctx, const fnrt_op *op, const test_inputs *in);
/* Fails the test unless |got - want| <= atol + rtol*|want| for all n elements. */
void test_check_close(const char *what, const float *got, const float *want, size_t n, double atol,
                      double rtol);
/* Whether FNRT_TEST_SMALL is set and op is too big for it. */
int test_op_too_big(const fnrt_op *op);
/* Runs op on both backends and compares (test_check_close); returns the reference output
 * (malloc'ed, the caller frees), or NULL when FNRT_TEST_SMALL skips the op. */
float *test_compare_op(const fnrt_op *op, const test_inputs *in, double atol, double rtol);

/* A conv2d case: Ci x H x W input, Co outputs, kh x kw taps, stride s, padding pad, optional
 * bias and residual input, activation before (act_in) and after (act_out). */
typedef struct test_conv_case {
    int ci, h, w, co, kh, kw, s, pad;
    int bias, res;
    fnrt_act act_in, act_out;
    float alpha_in, alpha_out;
} test_conv_case;

void test_conv_op(fnrt_op *op, const test_conv_case *c);
/* Inputs of a conv2d op: x, residual in [-1,1], weights in [-1,1]/sqrt(fan_in), bias in
 * [-0.5,0.5] (seeds seed .. seed+3), so that outputs are O(1). */
void test_conv_inputs(const fnrt_op *op, test_inputs *in, uint64_t seed);
/* atol = rtol = 1e-5 * sqrt(fan_in) of a conv2d or deconv2d op (deconv: the taps one output
 * actually sums, Ci*ceil(kh/s)*ceil(kw/s)): float sums of fan_in terms in another order. */
double test_conv_tol(const fnrt_op *op);
/* test_conv_op + test_conv_inputs + test_compare_op at test_conv_tol. */
void test_conv_compare(const test_conv_case *c, uint64_t seed);

#endif
