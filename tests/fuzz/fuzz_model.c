/* libFuzzer target: the model binder (fnrt_model_load_mem: safetensors validation, tensor
 * checks, BatchNorm folding, FNR2R graph building).  A model that loads must have a
 * consistent graph: every op's tensor ids valid, its recorded shapes equal to the tensor
 * table's, and outputs of exactly 3 x input_size^2 (what sessions copy to the caller). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_shape(const fnrt_shape *a, const fnrt_shape *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int k = 0; k < a->ndim; k++)
        if (a->dims[k] != b->dims[k])
            return 0;
    return 1;
}

static void check_graph(const fnrt_model *m)
{
    const fnrt_graph *g = &m->graph;
    int S = g->input_size;
    if (g->status != FNRT_OK || S <= 0 || g->out_normals < 0 || g->out_normals >= g->n_tensors)
        abort();
    const fnrt_shape *o = &g->tensors[g->out_normals].shape;
    if (o->ndim != 3 || o->dims[0] != 3 || o->dims[1] != S || o->dims[2] != S)
        abort();
    if (g->out_exemplar >= 0) {
        o = &g->tensors[g->out_exemplar].shape;
        if (o->ndim != 3 || o->dims[0] != 3 || o->dims[1] != S || o->dims[2] != S)
            abort();
    }
    for (int i = 0; i < g->n_ops; i++) {
        const fnrt_op *op = &g->ops[i];
        if (op->type < 0 || op->type >= FNRT_OP_COUNT || op->out < 0 || op->out >= g->n_tensors)
            abort();
        if (!same_shape(&op->out_shape, &g->tensors[op->out].shape))
            abort();
        for (int k = 0; k < op->n_in; k++) {
            if (op->in[k] >= g->n_tensors)
                abort();
            if (op->in[k] >= 0 && !same_shape(&op->in_shape[k], &g->tensors[op->in[k]].shape))
                abort();
        }
    }
    for (int i = 0; i < g->n_tensors; i++) {
        const fnrt_gtensor *t = &g->tensors[i];
        if ((t->kind == FNRT_TENSOR_PARAM) != (t->data != NULL))
            abort();
        if (t->kind == FNRT_TENSOR_PARAM) { /* touch every weight: ASan checks the extent */
            size_t n = fnrt_shape_elems(&t->shape);
            volatile float sum = 0.0f;
            for (size_t j = 0; j < n; j++)
                sum += t->data[j];
            (void)sum;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fnrt_model *m = NULL;
    if (fnrt_model_load_mem(data, size, &m) != FNRT_OK) {
        if (m || fnrt_last_error()[0] == '\0')
            abort();
        return 0;
    }
    check_graph(m);
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    const char *name;
    double gflop;
    uint64_t n_ops;
    for (int i = 0; fnrt_model_stage_info(m, i, &name, &gflop, &n_ops); i++)
        if (!name)
            abort();
    fnrt_model_free(m);
    return 0;
}
