/* Sessions: a model's graph bound to a backend device; runs the graph op by op. */
#include "core/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fnrt_session {
    const fnrt_model *model;
    const fnrt_backend_ops *be;
    void *ctx;
    fnrt_buf **bufs; /* one per graph tensor */
    char device[256];
};

void fnrt_session_free(fnrt_session *s)
{
    if (!s)
        return;
    if (s->bufs) {
        for (int i = 0; i < s->model->graph.n_tensors; i++)
            if (s->bufs[i])
                s->be->buf_free(s->ctx, s->bufs[i]);
        free(s->bufs);
    }
    if (s->be && s->ctx)
        s->be->destroy(s->ctx);
    free(s);
}

fnrt_status fnrt_session_create(const fnrt_model *m, const char *backend, const char *device,
                                fnrt_session **out)
{
    fnrt_status st;
    if (!m || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_session_create: NULL argument");
    const fnrt_backend_ops *be = fnrt_backend_find(backend ? backend : "opencl");
    if (!be)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "unknown backend '%s' (known: ref, opencl)",
                          backend);
    const fnrt_graph *g = &m->graph;
    /* no silent fallback: every op must be runnable where the user asked */
    for (int i = 0; i < g->n_ops; i++)
        if (!be->run[g->ops[i].type])
            return fnrt_error(FNRT_ERR_UNSUPPORTED, "backend '%s' cannot run op %s (%s)",
                              be->name, g->ops[i].name, fnrt_op_type_str(g->ops[i].type));

    fnrt_session *s = calloc(1, sizeof *s);
    if (!s)
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    s->model = m;
    s->be = be;
    if ((st = be->create(device, &s->ctx)) != FNRT_OK) {
        s->be = NULL;
        goto fail;
    }
    snprintf(s->device, sizeof s->device, "%s: %s", be->name, be->device_name(s->ctx));
    if (!(s->bufs = calloc((size_t)g->n_tensors, sizeof *s->bufs))) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < g->n_tensors; i++) {
        const fnrt_gtensor *t = &g->tensors[i];
        if ((st = be->buf_create(s->ctx, &t->shape, &s->bufs[i])) != FNRT_OK)
            goto fail;
        if (t->kind == FNRT_TENSOR_PARAM &&
            (st = be->buf_write(s->ctx, s->bufs[i], t->data, fnrt_shape_elems(&t->shape))) !=
                FNRT_OK)
            goto fail;
    }
    if (be->finish && (st = be->finish(s->ctx)) != FNRT_OK)
        goto fail;
    *out = s;
    return FNRT_OK;

fail:
    fnrt_session_free(s);
    return st;
}

const char *fnrt_session_device(const fnrt_session *s)
{
    return s->device;
}

fnrt_status fnrt_session_infer(fnrt_session *s, const float *rgb, float *normals,
                               float *exemplar)
{
    fnrt_status st;
    if (!s || !rgb || !normals)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_session_infer: NULL argument");
    const fnrt_graph *g = &s->model->graph;
    size_t n_in = fnrt_shape_elems(&g->tensors[g->input].shape);
    if ((st = s->be->buf_write(s->ctx, s->bufs[g->input], rgb, n_in)) != FNRT_OK)
        return st;
    for (int i = 0; i < g->n_ops; i++) {
        const fnrt_op *op = &g->ops[i];
        fnrt_buf *args[FNRT_OP_MAX_IN + 1];
        for (int k = 0; k < op->n_in; k++)
            args[k] = op->in[k] >= 0 ? s->bufs[op->in[k]] : NULL;
        args[op->n_in] = s->bufs[op->out];
        if ((st = s->be->run[op->type](s->ctx, op, args)) != FNRT_OK)
            return st;
    }
    if (s->be->finish && (st = s->be->finish(s->ctx)) != FNRT_OK)
        return st;
    if ((st = s->be->buf_read(s->ctx, s->bufs[g->out_normals], normals,
                              fnrt_shape_elems(&g->tensors[g->out_normals].shape))) != FNRT_OK)
        return st;
    if (exemplar && g->out_exemplar >= 0 &&
        (st = s->be->buf_read(s->ctx, s->bufs[g->out_exemplar], exemplar,
                              fnrt_shape_elems(&g->tensors[g->out_exemplar].shape))) != FNRT_OK)
        return st;
    return FNRT_OK;
}
