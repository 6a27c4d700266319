/* The execution graph: tensors (weights, the input, activations) and ops in execution
 * order.  Built once per model from the model file's tensors (see fnr2r.c); walked by
 * the session, which hands each op to a backend. */
#ifndef FNRT_CORE_GRAPH_H
#define FNRT_CORE_GRAPH_H

#include "fnrt/fnrt-backend.h"

typedef enum fnrt_tensor_kind {
    FNRT_TENSOR_PARAM = 0, /* constant weights; data owned by the graph */
    FNRT_TENSOR_INPUT,     /* written by the session before each run */
    FNRT_TENSOR_ACT        /* produced by an op */
} fnrt_tensor_kind;

typedef struct fnrt_gtensor {
    char name[FNRT_NAME_MAX];
    fnrt_tensor_kind kind;
    fnrt_shape shape;
    float *data; /* PARAM only */
} fnrt_gtensor;

typedef struct fnrt_stage {
    char name[32];
    int first_op, n_ops; /* ops [first_op, first_op + n_ops) */
} fnrt_stage;

#define FNRT_MAX_STAGES 8

/* Upper bound on the bytes of all activation tensors of one graph (sessions allocate every
 * tensor up front): a hostile model with very wide layers is refused at load time with
 * FNRT_ERR_LIMIT instead of exhausting host or device memory.  The published FNR2R size
 * needs about 0.32 GiB. */
#define FNRT_GRAPH_MAX_ACT_BYTES (8ull << 30)

typedef struct fnrt_graph {
    fnrt_gtensor *tensors;
    int n_tensors, cap_tensors;
    fnrt_op *ops;
    int n_ops, cap_ops;
    fnrt_stage stages[FNRT_MAX_STAGES];
    int n_stages;
    int input;            /* tensor id of the RGB input */
    int out_normals;      /* tensor id of the final normals */
    int out_exemplar;     /* tensor id of the exemplar (-1 if none) */
    int input_size;
    uint64_t act_bytes;   /* float32 bytes of the input and all activations so far */
    fnrt_status status;   /* first error while building (sticky) */
} fnrt_graph;

void fnrt_graph_init(fnrt_graph *g);
void fnrt_graph_free(fnrt_graph *g);

/* Adds tensors; returns the id or -1 (and sets g->status) on failure.  _param takes
 * ownership of data (freed with the graph, also on failure). */
int fnrt_graph_param(fnrt_graph *g, const char *name, const fnrt_shape *shape, float *data);
int fnrt_graph_input(fnrt_graph *g, const char *name, const fnrt_shape *shape);

/* Opens/closes a stage: ops added in between belong to it. */
void fnrt_graph_stage_begin(fnrt_graph *g, const char *name);
void fnrt_graph_stage_end(fnrt_graph *g);

/* Op builders: they check shapes, compute the output shape, add the output activation
 * tensor (named like the op) and return its id, or -1 with g->status set.
 * Any argument id may be -1 from an earlier failure; the builder then just returns -1. */
int fnrt_graph_conv(fnrt_graph *g, const char *name, int x, int w, int bias, int res,
                    int stride, int pad, fnrt_act act_in, fnrt_act act_out);
int fnrt_graph_deconv(fnrt_graph *g, const char *name, int x, int w, int bias, int stride,
                      int pad, fnrt_act act_in, fnrt_act act_out);
int fnrt_graph_maxpool(fnrt_graph *g, const char *name, int x, int k, int stride, int pad);
int fnrt_graph_upsample2x(fnrt_graph *g, const char *name, int x, int align_corners);
int fnrt_graph_concat(fnrt_graph *g, const char *name, int a, int b, int stride_b);
int fnrt_graph_global_avgpool(fnrt_graph *g, const char *name, int x);
int fnrt_graph_modulate(fnrt_graph *g, const char *name, int w, int s, float scale, float eps);
int fnrt_graph_gray(fnrt_graph *g, const char *name, int x);
int fnrt_graph_l2norm(fnrt_graph *g, const char *name, int x, int swizzle, float eps);
/* y = act(a + b), a and b of one shape (FNRT_OP_ADD). */
int fnrt_graph_add(fnrt_graph *g, const char *name, int a, int b, fnrt_act act);
/* y = concat(x[0:K], max(x[K:C], skip)) with K = C - channels(skip) (FNRT_OP_MAXMERGE). */
int fnrt_graph_maxmerge(fnrt_graph *g, const char *name, int x, int skip);

/* LeakyReLU slope used by FNRT_ACT_LEAKY in graph-built ops. */
#define FNRT_LEAKY_SLOPE 0.2f

/* Multiply-adds of one op (0 for data-movement ops). */
double fnrt_op_macs(const fnrt_op *op);

#endif
