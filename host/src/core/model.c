/* Model loading: safetensors validation, tensor access, BatchNorm folding. */
#include "core/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fnrt_model_has(const fnrt_model *m, const char *name)
{
    return fnrt_safetensors_find(m->st, name) != NULL;
}

fnrt_status fnrt_model_tensor(const fnrt_model *m, const char *name, int ndim,
                              const int64_t *expect, float **data, fnrt_shape *shape)
{
    const fnrt_st_tensor *t = fnrt_safetensors_find(m->st, name);
    if (!t)
        return fnrt_error(FNRT_ERR_MODEL, "model %s: tensor '%s' is missing (is this a %s model?)",
                          m->path, name, m->architecture);
    if (t->dtype != FNRT_DT_F32 && t->dtype != FNRT_DT_F16 && t->dtype != FNRT_DT_BF16)
        return fnrt_error(FNRT_ERR_MODEL, "model %s: tensor '%s' has dtype %s (need F32, F16 or BF16)",
                          m->path, name, fnrt_dtype_str(t->dtype));
    if (t->ndim != ndim)
        return fnrt_error(FNRT_ERR_MODEL, "model %s: tensor '%s' has %d dimensions, expected %d",
                          m->path, name, t->ndim, ndim);
    for (int k = 0; k < ndim; k++)
        if (t->shape[k] <= 0 || (expect && expect[k] >= 0 && t->shape[k] != expect[k]))
            return fnrt_error(FNRT_ERR_MODEL,
                              "model %s: tensor '%s' has size %lld in dimension %d, expected %lld",
                              m->path, name, (long long)t->shape[k], k,
                              (long long)(expect ? expect[k] : 1));
    float *buf = malloc((size_t)t->n_elems * sizeof(float));
    if (!buf)
        return fnrt_error(FNRT_ERR_NOMEM, "model %s: no memory for tensor '%s'", m->path, name);
    fnrt_status st = fnrt_safetensors_read_f32(m->st, t, buf, (size_t)t->n_elems);
    if (st != FNRT_OK) {
        free(buf);
        return st;
    }
    for (uint64_t i = 0; i < t->n_elems; i++)
        if (!isfinite(buf[i])) {
            free(buf);
            return fnrt_error(FNRT_ERR_MODEL, "model %s: tensor '%s' holds a non-finite value",
                              m->path, name);
        }
    if (shape) {
        shape->ndim = ndim;
        for (int k = 0; k < 4; k++)
            shape->dims[k] = k < ndim ? t->shape[k] : 0;
    }
    *data = buf;
    return FNRT_OK;
}

fnrt_status fnrt_model_conv_params(fnrt_model *m, const char *prefix, const char *bn_prefix,
                                   int transposed, int *w_id, int *b_id)
{
    char name[256];
    float *w = NULL, *b = NULL, *bn[4] = {NULL, NULL, NULL, NULL};
    fnrt_shape ws, bs;
    fnrt_status st;

    snprintf(name, sizeof name, "%s.weight", prefix);
    if ((st = fnrt_model_tensor(m, name, 4, NULL, &w, &ws)) != FNRT_OK)
        goto fail;
    int64_t co = transposed ? ws.dims[1] : ws.dims[0];
    int64_t ci = transposed ? ws.dims[0] : ws.dims[1];
    int64_t kk = ws.dims[2] * ws.dims[3];
    int64_t one[1] = {co};
    snprintf(name, sizeof name, "%s.bias", prefix);
    if (fnrt_model_has(m, name) && (st = fnrt_model_tensor(m, name, 1, one, &b, &bs)) != FNRT_OK)
        goto fail;

    if (bn_prefix) {
        static const char *const parts[4] = {"weight", "bias", "running_mean", "running_var"};
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "%s.%s", bn_prefix, parts[k]);
            if ((st = fnrt_model_tensor(m, name, 1, one, &bn[k], NULL)) != FNRT_OK)
                goto fail;
        }
        if (!b && !(b = calloc((size_t)co, sizeof(float)))) {
            st = fnrt_error(FNRT_ERR_NOMEM, "model %s: out of memory", m->path);
            goto fail;
        }
        for (int64_t o = 0; o < co; o++) {
            if (bn[3][o] < 0.0f) {
                st = fnrt_error(FNRT_ERR_MODEL, "model %s: '%s.running_var' is negative",
                                m->path, bn_prefix);
                goto fail;
            }
            double scale = (double)bn[0][o] / sqrt((double)bn[3][o] + (double)m->bn_eps);
            b[o] = (float)(((double)b[o] - bn[2][o]) * scale + bn[1][o]);
            for (int64_t i = 0; i < ci; i++)
                for (int64_t k = 0; k < kk; k++) {
                    size_t j = transposed ? (size_t)((i * co + o) * kk + k)
                                          : (size_t)((o * ci + i) * kk + k);
                    w[j] = (float)(w[j] * scale);
                }
        }
        bs.ndim = 1;
        bs.dims[0] = co;
    }
    for (int k = 0; k < 4; k++)
        free(bn[k]);

    *w_id = fnrt_graph_param(&m->graph, prefix, &ws, w);
    if (b) {
        snprintf(name, sizeof name, "%s.bias", prefix);
        *b_id = fnrt_graph_param(&m->graph, name, &bs, b);
    } else {
        *b_id = -1;
    }
    return m->graph.status;

fail:
    free(w);
    free(b);
    for (int k = 0; k < 4; k++)
        free(bn[k]);
    if (m->graph.status == FNRT_OK)
        m->graph.status = st;
    return st;
}

/* The session copies the outputs into caller buffers of 3 x input_size^2 floats: whatever
 * the file held, the graph must produce exactly that (a too-large output would overrun them). */
static fnrt_status check_outputs(const fnrt_model *m)
{
    const fnrt_graph *g = &m->graph;
    const int ids[2] = {g->out_normals, g->out_exemplar};
    if (g->input < 0 || g->out_normals < 0 || g->input_size <= 0)
        return fnrt_error(FNRT_ERR_INTERNAL, "model %s: graph has no input or output", m->path);
    for (int k = 0; k < 2; k++) {
        if (ids[k] < 0)
            continue;
        const fnrt_shape *s = &g->tensors[ids[k]].shape;
        if (s->ndim != 3 || s->dims[0] != 3 || s->dims[1] != g->input_size ||
            s->dims[2] != g->input_size)
            return fnrt_error(FNRT_ERR_MODEL,
                              "model %s: the %s would be %lldx%lldx%lld, not 3x%dx%d (wrong "
                              "kernel size or stride in the file?)",
                              m->path, k ? "exemplar" : "output", (long long)s->dims[0],
                              (long long)s->dims[1], (long long)s->dims[2], g->input_size,
                              g->input_size);
    }
    return FNRT_OK;
}

/* The architectures: metadata tag, modes (comma-separated, the first is the default; each
 * builder builds the graph of m->mode) and graph builder. */
static const struct {
    const char *name;
    const char *modes;
    fnrt_status (*build)(fnrt_model *m);
} architectures[] = {
    {"fnr2r", "image", fnrt_fnr2r_build},
    {"crossmodal", "image,normal-ae", fnrt_crossmodal_build},
};
#define N_ARCHITECTURES (sizeof architectures / sizeof architectures[0])

/* 1 if mode is one of the comma-separated modes. */
static int has_mode(const char *modes, const char *mode)
{
    size_t n = strlen(mode);
    for (const char *p = modes; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, mode, n) == 0)
            return 1;
        p += len + (end != NULL);
    }
    return 0;
}

/* Binds an opened file (path for messages; data NULL = read the file at path, else the
 * n_bytes memory image) into a model. */
static fnrt_status model_load(const char *path, const void *data, size_t n_bytes,
                              const fnrt_model_options *opts, fnrt_model **out)
{
    fnrt_status st;
    fnrt_model *m = calloc(1, sizeof *m);
    if (!m)
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    fnrt_graph_init(&m->graph);
    m->bn_eps = 1e-5f;
    if (!(m->path = strdup(path))) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    st = data ? fnrt_safetensors_open_mem(data, n_bytes, NULL, &m->st)
              : fnrt_safetensors_open(path, NULL, &m->st);
    if (st != FNRT_OK)
        goto fail;

    for (size_t i = 0; i < fnrt_safetensors_count(m->st); i++) {
        const fnrt_st_tensor *t = fnrt_safetensors_at(m->st, i);
        m->n_params += t->n_elems;
    }
    const char *eps = fnrt_safetensors_meta(m->st, "bn_eps");
    if (eps) {
        char *end;
        double v = strtod(eps, &end);
        if (end == eps || *end || !(v > 0.0 && v < 1.0)) {
            st = fnrt_error(FNRT_ERR_MODEL, "model %s: metadata bn_eps='%s' is not a small "
                            "positive number", path, eps);
            goto fail;
        }
        m->bn_eps = (float)v;
    }

    const char *arch = fnrt_safetensors_meta(m->st, "architecture");
    if (!arch && fnrt_model_has(m, "coarse.conv1.weight"))
        arch = "fnr2r";
    if (!arch && fnrt_model_has(m, "layer0.0.weight") && fnrt_model_has(m, "conv_up3.0.weight"))
        arch = "crossmodal";
    if (!arch) {
        st = fnrt_error(FNRT_ERR_MODEL, "model %s: no 'architecture' in the metadata and no "
                        "known tensor names (convert checkpoints with tools/fnrt-convert.py)",
                        path);
        goto fail;
    }
    snprintf(m->architecture, sizeof m->architecture, "%s", arch);
    size_t a = 0;
    while (a < N_ARCHITECTURES && strcmp(arch, architectures[a].name) != 0)
        a++;
    if (a == N_ARCHITECTURES) {
        st = fnrt_error(FNRT_ERR_UNSUPPORTED,
                        "model %s: unknown architecture '%s' (known: fnr2r, crossmodal)", path,
                        arch);
        goto fail;
    }
    m->modes = architectures[a].modes;
    const char *mode = opts && opts->mode && *opts->mode ? opts->mode : NULL;
    if (mode && (strlen(mode) >= sizeof m->mode || !has_mode(m->modes, mode))) {
        st = fnrt_error(FNRT_ERR_INVALID_ARG, "model %s: architecture '%s' has no mode '%s' "
                        "(its modes: %s)", path, arch, mode, m->modes);
        goto fail;
    }
    if (mode)
        snprintf(m->mode, sizeof m->mode, "%s", mode);
    else
        snprintf(m->mode, sizeof m->mode, "%.*s", (int)strcspn(m->modes, ","), m->modes);
    if ((st = architectures[a].build(m)) != FNRT_OK)
        goto fail;
    if ((st = check_outputs(m)) != FNRT_OK)
        goto fail;
    /* every tensor is now a float copy in the graph: the file's pages need not stay resident
     * (about the model's size less in the process's RSS; the header stays readable) */
    fnrt_safetensors_drop_pages(m->st);
    *out = m;
    return FNRT_OK;

fail:
    fnrt_model_free(m);
    return st;
}

fnrt_status fnrt_model_load(const char *path, fnrt_model **out)
{
    if (!path || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_model_load: NULL argument");
    *out = NULL;
    return model_load(path, NULL, 0, NULL, out);
}

fnrt_status fnrt_model_load_ex(const char *path, const fnrt_model_options *opts,
                               fnrt_model **out)
{
    if (!path || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_model_load_ex: NULL argument");
    *out = NULL;
    return model_load(path, NULL, 0, opts, out);
}

fnrt_status fnrt_model_load_mem(const void *data, size_t n_bytes, fnrt_model **out)
{
    if (!out || (!data && n_bytes > 0))
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_model_load_mem: NULL argument");
    *out = NULL;
    static const char empty[1];
    return model_load("<memory>", data ? data : empty, n_bytes, NULL, out);
}

void fnrt_model_free(fnrt_model *m)
{
    if (!m)
        return;
    fnrt_graph_free(&m->graph);
    fnrt_safetensors_close(m->st);
    free(m->path);
    free(m);
}

void fnrt_model_get_info(const fnrt_model *m, fnrt_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->architecture = m->architecture;
    info->mode = m->mode;
    info->modes = m->modes;
    info->has_exemplar = m->graph.out_exemplar >= 0;
    info->input_size = m->graph.input_size;
    info->n_params = m->n_params;
    info->n_ops = (uint64_t)m->graph.n_ops;
    double macs = 0.0;
    for (int i = 0; i < m->graph.n_ops; i++)
        macs += fnrt_op_macs(&m->graph.ops[i]);
    info->gflop = 2.0 * macs * 1e-9;
}

int fnrt_model_stage_info(const fnrt_model *m, int i, const char **name, double *gflop,
                          uint64_t *n_ops)
{
    if (i < 0 || i >= m->graph.n_stages)
        return 0;
    const fnrt_stage *s = &m->graph.stages[i];
    double macs = 0.0;
    for (int k = s->first_op; k < s->first_op + s->n_ops; k++)
        macs += fnrt_op_macs(&m->graph.ops[k]);
    if (name)
        *name = s->name;
    if (gflop)
        *gflop = 2.0 * macs * 1e-9;
    if (n_ops)
        *n_ops = (uint64_t)s->n_ops;
    return 1;
}
