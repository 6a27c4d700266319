/* Model = a validated safetensors file plus the execution graph built from it. */
#ifndef FNRT_CORE_MODEL_H
#define FNRT_CORE_MODEL_H

#include "fnrt/fnrt.h"
#include "core/graph.h"
#include "io/safetensors.h"

struct fnrt_model {
    char *path;
    char architecture[32];
    char mode[32];    /* the graph's mode (fnrt_model_options.mode or the default) */
    const char *modes; /* the architecture's modes, comma-separated, default first */
    fnrt_safetensors *st;
    fnrt_graph graph;
    uint64_t n_params;
    float bn_eps;
};

/* Loads tensor `name` as float32 (malloc'ed) after checking its rank and dims; dims[k] < 0
 * in `expect` means "any".  Errors name the model file and the tensor. */
fnrt_status fnrt_model_tensor(const fnrt_model *m, const char *name, int ndim,
                              const int64_t *expect, float **data, fnrt_shape *shape);
/* 1 if the file has a tensor of that name. */
int fnrt_model_has(const fnrt_model *m, const char *name);

/* Adds a convolution's weight (and bias) to the graph, BatchNorm folded in when bn_prefix is
 * not NULL: w' = w * g/sqrt(v+eps) per output channel, b' = (b - mean) * g/sqrt(v+eps) + beta.
 * transposed: weight layout (Ci,Co,k,k) with output channels on dim 1.
 * w_id and b_id receive graph tensor ids (*b_id = -1 if there is neither bias nor BN). */
fnrt_status fnrt_model_conv_params(fnrt_model *m, const char *prefix, const char *bn_prefix,
                                   int transposed, int *w_id, int *b_id);

/* Graph builders, one per architecture. */
fnrt_status fnrt_fnr2r_build(fnrt_model *m);
fnrt_status fnrt_crossmodal_build(fnrt_model *m); /* builds the graph of m->mode */

#endif
