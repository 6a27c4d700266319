/* Layer-by-layer cross-backend diff (`fnrt diff`): runs one model graph on two backends op
 * by op, reads every op output back from both, and compares them against a per-op-type
 * tolerance table, stopping at the first layer out of tolerance.  Independent of the
 * session executor (no pools, queues or tiles): every tensor has its own buffer, so every
 * intermediate can be read back and compared under its stable graph name. */
#ifndef FNRT_CORE_GRAPH_DIFF_H
#define FNRT_CORE_GRAPH_DIFF_H

#include <stdio.h>

#include "fnrt/fnrt.h"

typedef struct fnrt_diff_opts {
    /* "backend[:device]": "ref", "opencl", "opencl:N", "opencl:P:N", "opencl:<name part>" */
    const char *dev_a, *dev_b;
    /* 0 (default) isolated: before each op, B's input activations are overwritten with A's,
     *   so each layer is judged on its own error (per-op tolerance table);
     * 1 chained: each backend runs the whole graph on its own results (errors accumulate;
     *   one looser tolerance for every op). */
    int chain;
    int keep_going;          /* 1: do not stop at the first failing layer */
    const char *dump_dir;    /* NULL, or DIR: writes DIR/A/<layer>.npy and DIR/B/<layer>.npy */
    /* Testing hook: the layer (graph op name) whose B-side output is perturbed after it
     * ran (in `fnrt diff`: $FNRT_DIFF_INJECT), so tests can check that a wrong layer is
     * found.  NULL = none. */
    const char *inject;
    FILE *out;               /* the per-layer report (NULL = stdout) */
} fnrt_diff_opts;

typedef struct fnrt_diff_result {
    int n_compared;      /* layers compared */
    int n_failed;        /* layers out of tolerance */
    int first_fail;      /* op index of the first, -1 if none */
    char first_fail_name[64];
    double worst_ratio;  /* max over layers of err / tolerance */
} fnrt_diff_result;

/* Splits "backend[:device]" into backend (copied into be, size n) and *device (pointer
 * into spec after the first ':', NULL if none).  -1 if spec is empty or too long. */
int fnrt_diff_parse_device(const char *spec, char *be, size_t n, const char **device);

/* Tolerance of an op type: |A - B| <= atol + rtol * max|A| over the layer. */
void fnrt_diff_tolerance(int op_type, int chain, double *atol, double *rtol);

/* Runs the diff on input rgb (planar (3,S,S) in [0,1]).  Returns FNRT_OK when both sides
 * ran (whether or not every layer is in tolerance: see r->n_failed); an error when a
 * backend cannot be opened or cannot run an op (no fallback) or a device call fails. */
fnrt_status fnrt_graph_diff(const fnrt_model *m, const float *rgb, const fnrt_diff_opts *o,
                            fnrt_diff_result *r);

#endif
