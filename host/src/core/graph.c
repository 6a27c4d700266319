/* Execution graph: tensor table, op list, shape-checked op builders. */
#include "core/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fnrt_graph_init(fnrt_graph *g)
{
    memset(g, 0, sizeof *g);
    g->input = g->out_normals = g->out_exemplar = -1;
}

void fnrt_graph_free(fnrt_graph *g)
{
    for (int i = 0; i < g->n_tensors; i++)
        free(g->tensors[i].data);
    free(g->tensors);
    free(g->ops);
    fnrt_graph_init(g);
}

static int fail(fnrt_graph *g, fnrt_status st, const char *fmt, const char *name, const char *why)
{
    if (g->status == FNRT_OK)
        g->status = fnrt_error(st, fmt, name, why);
    return -1;
}

static int add_tensor(fnrt_graph *g, const char *name, fnrt_tensor_kind kind,
                      const fnrt_shape *shape, float *data)
{
    if (g->status != FNRT_OK) {
        free(data);
        return -1;
    }
    if (g->n_tensors == g->cap_tensors) {
        int cap = g->cap_tensors ? 2 * g->cap_tensors : 256;
        fnrt_gtensor *t = realloc(g->tensors, (size_t)cap * sizeof *t);
        if (!t) {
            free(data);
            return fail(g, FNRT_ERR_NOMEM, "graph: out of memory adding %s%s", name, "");
        }
        g->tensors = t;
        g->cap_tensors = cap;
    }
    fnrt_gtensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->kind = kind;
    t->shape = *shape;
    t->data = data;
    return g->n_tensors++;
}

int fnrt_graph_param(fnrt_graph *g, const char *name, const fnrt_shape *shape, float *data)
{
    return add_tensor(g, name, FNRT_TENSOR_PARAM, shape, data);
}

int fnrt_graph_input(fnrt_graph *g, const char *name, const fnrt_shape *shape)
{
    return add_tensor(g, name, FNRT_TENSOR_INPUT, shape, NULL);
}

void fnrt_graph_stage_begin(fnrt_graph *g, const char *name)
{
    if (g->n_stages >= FNRT_MAX_STAGES) {
        fail(g, FNRT_ERR_INTERNAL, "graph: too many stages at %s%s", name, "");
        return;
    }
    fnrt_stage *s = &g->stages[g->n_stages];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->first_op = g->n_ops;
    s->n_ops = 0;
}

void fnrt_graph_stage_end(fnrt_graph *g)
{
    if (g->n_stages >= FNRT_MAX_STAGES)
        return;
    fnrt_stage *s = &g->stages[g->n_stages];
    s->n_ops = g->n_ops - s->first_op;
    g->n_stages++;
}

static fnrt_shape shape3(int64_t c, int64_t h, int64_t w)
{
    fnrt_shape s = {3, {c, h, w, 0}};
    return s;
}

/* Appends op (inputs/params already set) and creates its output tensor. */
static int add_op(fnrt_graph *g, fnrt_op *op, const fnrt_shape *out_shape)
{
    if (g->status != FNRT_OK)
        return -1;
    for (int k = 0; k < 3; k++)
        if (out_shape->dims[k] <= 0 && k < out_shape->ndim)
            return fail(g, FNRT_ERR_MODEL, "graph: op %s has an empty output%s", op->name, "");
    /* every dim is > 0 and comes from checked file sizes; count in double: no overflow */
    double n_elems = 1.0;
    for (int k = 0; k < out_shape->ndim; k++)
        n_elems *= (double)out_shape->dims[k];
    double n_bytes = n_elems * (double)sizeof(float);
    if (n_bytes + (double)g->act_bytes > (double)FNRT_GRAPH_MAX_ACT_BYTES) {
        g->status = fnrt_error(FNRT_ERR_LIMIT,
                               "graph: op %s: its output of %.0f bytes brings the activations "
                               "to %.2f GiB, over the limit of %.0f GiB (layers far wider than "
                               "any published model?)",
                               op->name, n_bytes, (n_bytes + (double)g->act_bytes) / 1073741824.0,
                               (double)FNRT_GRAPH_MAX_ACT_BYTES / 1073741824.0);
        return -1;
    }
    if (g->n_ops == g->cap_ops) {
        int cap = g->cap_ops ? 2 * g->cap_ops : 128;
        fnrt_op *o = realloc(g->ops, (size_t)cap * sizeof *o);
        if (!o)
            return fail(g, FNRT_ERR_NOMEM, "graph: out of memory adding op %s%s", op->name, "");
        g->ops = o;
        g->cap_ops = cap;
    }
    int out = add_tensor(g, op->name, FNRT_TENSOR_ACT, out_shape, NULL);
    if (out < 0)
        return -1;
    g->act_bytes += (uint64_t)n_bytes;
    for (int k = 0; k < op->n_in; k++)
        if (op->in[k] >= 0)
            op->in_shape[k] = g->tensors[op->in[k]].shape;
    op->out = out;
    op->out_shape = *out_shape;
    g->ops[g->n_ops++] = *op;
    return out;
}

static int bad_ids(fnrt_graph *g, const int *ids, int n)
{
    if (g->status != FNRT_OK)
        return 1;
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= g->n_tensors)
            return 1;
    return 0;
}

static const fnrt_shape *shp(const fnrt_graph *g, int id)
{
    return &g->tensors[id].shape;
}

static void op_init(fnrt_op *op, fnrt_op_type type, const char *name, int n_in)
{
    memset(op, 0, sizeof *op);
    op->type = type;
    snprintf(op->name, sizeof op->name, "%s", name);
    op->n_in = n_in;
    for (int k = 0; k < FNRT_OP_MAX_IN; k++)
        op->in[k] = -1;
}

static int check_bias(fnrt_graph *g, const char *name, int bias, int64_t co)
{
    if (bias < 0)
        return 0;
    const fnrt_shape *b = shp(g, bias);
    if (b->ndim != 1 || b->dims[0] != co)
        return fail(g, FNRT_ERR_MODEL, "graph: %s: bias does not match the weight%s", name, "");
    return 0;
}

int fnrt_graph_conv(fnrt_graph *g, const char *name, int x, int w, int bias, int res,
                    int stride, int pad, fnrt_act act_in, fnrt_act act_out)
{
    int ids[2] = {x, w};
    if (bad_ids(g, ids, 2))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *xs = shp(g, x), *ws = shp(g, w);
    if (xs->ndim != 3 || ws->ndim != 4 || ws->dims[1] != xs->dims[0])
        return fail(g, FNRT_ERR_MODEL,
                    "graph: %s: weight input channels do not match the incoming tensor%s", name,
                    "");
    int64_t kh = ws->dims[2], kw = ws->dims[3];
    int64_t ho = (xs->dims[1] + 2 * pad - kh) / stride + 1;
    int64_t wo = (xs->dims[2] + 2 * pad - kw) / stride + 1;
    if (check_bias(g, name, bias, ws->dims[0]) < 0)
        return -1;
    fnrt_shape out = shape3(ws->dims[0], ho, wo);
    if (res >= 0) {
        const fnrt_shape *rs = shp(g, res);
        if (rs->ndim != 3 || rs->dims[0] != out.dims[0] || rs->dims[1] != ho ||
            rs->dims[2] != wo)
            return fail(g, FNRT_ERR_MODEL, "graph: %s: residual shape mismatch%s", name, "");
    }
    fnrt_op op;
    op_init(&op, FNRT_OP_CONV2D, name, 4);
    op.in[0] = x, op.in[1] = w, op.in[2] = bias, op.in[3] = res;
    op.p.conv = (fnrt_conv_params){(int)kh, (int)kw, stride, pad, act_in, act_out,
                                   FNRT_LEAKY_SLOPE, FNRT_LEAKY_SLOPE};
    return add_op(g, &op, &out);
}

int fnrt_graph_deconv(fnrt_graph *g, const char *name, int x, int w, int bias, int stride,
                      int pad, fnrt_act act_in, fnrt_act act_out)
{
    int ids[2] = {x, w};
    if (bad_ids(g, ids, 2))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *xs = shp(g, x), *ws = shp(g, w);
    if (xs->ndim != 3 || ws->ndim != 4 || ws->dims[0] != xs->dims[0] ||
        ws->dims[2] != ws->dims[3])
        return fail(g, FNRT_ERR_MODEL,
                    "graph: %s: transposed-conv weight does not match the incoming tensor%s",
                    name, "");
    int64_t k = ws->dims[2];
    if (check_bias(g, name, bias, ws->dims[1]) < 0)
        return -1;
    fnrt_shape out = shape3(ws->dims[1], (xs->dims[1] - 1) * stride - 2 * pad + k,
                            (xs->dims[2] - 1) * stride - 2 * pad + k);
    fnrt_op op;
    op_init(&op, FNRT_OP_DECONV2D, name, 3);
    op.in[0] = x, op.in[1] = w, op.in[2] = bias;
    op.p.conv = (fnrt_conv_params){(int)k, (int)k, stride, pad, act_in, act_out,
                                   FNRT_LEAKY_SLOPE, FNRT_LEAKY_SLOPE};
    return add_op(g, &op, &out);
}

int fnrt_graph_maxpool(fnrt_graph *g, const char *name, int x, int k, int stride, int pad)
{
    if (bad_ids(g, &x, 1))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *xs = shp(g, x);
    fnrt_shape out = shape3(xs->dims[0], (xs->dims[1] + 2 * pad - k) / stride + 1,
                            (xs->dims[2] + 2 * pad - k) / stride + 1);
    fnrt_op op;
    op_init(&op, FNRT_OP_MAXPOOL, name, 1);
    op.in[0] = x;
    op.p.pool = (fnrt_pool_params){k, stride, pad};
    return add_op(g, &op, &out);
}

int fnrt_graph_upsample2x(fnrt_graph *g, const char *name, int x, int align_corners)
{
    if (bad_ids(g, &x, 1))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *xs = shp(g, x);
    fnrt_shape out = shape3(xs->dims[0], 2 * xs->dims[1], 2 * xs->dims[2]);
    fnrt_op op;
    op_init(&op, FNRT_OP_UPSAMPLE2X, name, 1);
    op.in[0] = x;
    op.p.up.align_corners = align_corners;
    return add_op(g, &op, &out);
}

int fnrt_graph_concat(fnrt_graph *g, const char *name, int a, int b, int stride_b)
{
    int ids[2] = {a, b};
    if (bad_ids(g, ids, 2))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *as = shp(g, a), *bs = shp(g, b);
    if (as->dims[1] != bs->dims[1] || as->dims[2] != bs->dims[2] || stride_b < 1)
        return fail(g, FNRT_ERR_MODEL, "graph: %s: concatenated maps differ in size%s", name,
                    "");
    fnrt_shape out =
        shape3(as->dims[0] + (bs->dims[0] + stride_b - 1) / stride_b, as->dims[1], as->dims[2]);
    fnrt_op op;
    op_init(&op, FNRT_OP_CONCAT, name, 2);
    op.in[0] = a, op.in[1] = b;
    op.p.cat.stride_b = stride_b;
    return add_op(g, &op, &out);
}

int fnrt_graph_global_avgpool(fnrt_graph *g, const char *name, int x)
{
    if (bad_ids(g, &x, 1))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    fnrt_shape out = shape3(shp(g, x)->dims[0], 1, 1);
    fnrt_op op;
    op_init(&op, FNRT_OP_GLOBAL_AVGPOOL, name, 1);
    op.in[0] = x;
    return add_op(g, &op, &out);
}

int fnrt_graph_modulate(fnrt_graph *g, const char *name, int w, int s, float scale, float eps)
{
    int ids[2] = {w, s};
    if (bad_ids(g, ids, 2))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *ws = shp(g, w), *ss = shp(g, s);
    if (ws->ndim != 4 || ss->ndim != 3 || ss->dims[0] != ws->dims[1] || ss->dims[1] != 1 ||
        ss->dims[2] != 1)
        return fail(g, FNRT_ERR_MODEL, "graph: %s: style does not match the weight%s", name, "");
    fnrt_shape out = *ws;
    fnrt_op op;
    op_init(&op, FNRT_OP_MODULATE, name, 2);
    op.in[0] = w, op.in[1] = s;
    op.p.mod.scale = scale;
    op.p.mod.eps = eps;
    return add_op(g, &op, &out);
}

int fnrt_graph_gray(fnrt_graph *g, const char *name, int x)
{
    if (bad_ids(g, &x, 1))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *xs = shp(g, x);
    if (xs->dims[0] != 3)
        return fail(g, FNRT_ERR_MODEL, "graph: %s: needs 3 channels%s", name, "");
    fnrt_shape out = shape3(1, xs->dims[1], xs->dims[2]);
    fnrt_op op;
    op_init(&op, FNRT_OP_GRAY, name, 1);
    op.in[0] = x;
    return add_op(g, &op, &out);
}

int fnrt_graph_l2norm(fnrt_graph *g, const char *name, int x, int swizzle, float eps)
{
    if (bad_ids(g, &x, 1))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *xs = shp(g, x);
    if (xs->dims[0] != 3)
        return fail(g, FNRT_ERR_MODEL, "graph: %s: needs 3 channels%s", name, "");
    fnrt_shape out = *xs;
    fnrt_op op;
    op_init(&op, FNRT_OP_L2NORM, name, 1);
    op.in[0] = x;
    op.p.l2.swizzle = swizzle;
    op.p.l2.eps = eps;
    return add_op(g, &op, &out);
}

int fnrt_graph_add(fnrt_graph *g, const char *name, int a, int b, fnrt_act act)
{
    int ids[2] = {a, b};
    if (bad_ids(g, ids, 2))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *as = shp(g, a), *bs = shp(g, b);
    if (as->ndim != 3 || bs->ndim != 3 || as->dims[0] != bs->dims[0] ||
        as->dims[1] != bs->dims[1] || as->dims[2] != bs->dims[2])
        return fail(g, FNRT_ERR_MODEL, "graph: %s: the added tensors differ in shape (a "
                    "residual branch without the downsample it needs?)%s", name, "");
    fnrt_shape out = *as;
    fnrt_op op;
    op_init(&op, FNRT_OP_ADD, name, 2);
    op.in[0] = a, op.in[1] = b;
    op.p.add.act = act;
    op.p.add.alpha = FNRT_LEAKY_SLOPE;
    return add_op(g, &op, &out);
}

int fnrt_graph_maxmerge(fnrt_graph *g, const char *name, int x, int skip)
{
    int ids[2] = {x, skip};
    if (bad_ids(g, ids, 2))
        return fail(g, FNRT_ERR_INTERNAL, "graph: %s: missing input%s", name, "");
    const fnrt_shape *xs = shp(g, x), *ss = shp(g, skip);
    if (xs->ndim != 3 || ss->ndim != 3 || xs->dims[1] != ss->dims[1] ||
        xs->dims[2] != ss->dims[2])
        return fail(g, FNRT_ERR_MODEL, "graph: %s: the skip map differs in size from the "
                    "decoder map%s", name, "");
    if (ss->dims[0] > xs->dims[0])
        return fail(g, FNRT_ERR_MODEL, "graph: %s: the skip has more channels than the "
                    "decoder map it merges into%s", name, "");
    fnrt_shape out = *xs;
    fnrt_op op;
    op_init(&op, FNRT_OP_MAXMERGE, name, 2);
    op.in[0] = x, op.in[1] = skip;
    op.p.merge.k = (int)(xs->dims[0] - ss->dims[0]);
    return add_op(g, &op, &out);
}

double fnrt_op_macs(const fnrt_op *op)
{
    const fnrt_shape *o = &op->out_shape, *x = &op->in_shape[0];
    switch (op->type) {
    case FNRT_OP_CONV2D:
        return (double)o->dims[0] * o->dims[1] * o->dims[2] * x->dims[0] * op->p.conv.kh *
               op->p.conv.kw;
    case FNRT_OP_DECONV2D:
        return (double)x->dims[0] * x->dims[1] * x->dims[2] * o->dims[0] * op->p.conv.kh *
               op->p.conv.kw;
    case FNRT_OP_MODULATE:
        return (double)fnrt_shape_elems(o);
    default:
        return 0.0;
    }
}
