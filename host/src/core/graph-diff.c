/* Layer-by-layer cross-backend diff (see graph-diff.h).
 *
 * Tolerance table (|A - B| <= atol + rtol * max|A| over the whole layer, A = side one):
 *   isolated (default: B's op reads A's inputs, so a layer is judged on its own error)
 *     conv2d, deconv2d          rtol 1e-4  atol 1e-5   (summation order, FMA)
 *     modulate                  rtol 1e-5  atol 1e-6   (float vs double sums, rsqrt)
 *     global_avgpool, l2norm    rtol 1e-5  atol 1e-6   (reductions, sqrt, division)
 *     upsample2x, gray, add     rtol 1e-6  atol 1e-6   (same formula, rounding only)
 *     maxpool, concat, maxmerge exact                   (they only move values)
 *   chained (--chain: each backend runs on its own results, errors accumulate)
 *     every op                  rtol 1e-3  atol 1e-4
 * A non-finite value on one side only, or at different places, is an infinite error. */
#include "core/graph-diff.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/model.h"
#include "io/image.h"

int fnrt_diff_parse_device(const char *spec, char *be, size_t n, const char **device)
{
    *device = NULL;
    if (!spec || !*spec)
        return -1;
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len == 0 || len >= n)
        return -1;
    memcpy(be, spec, len);
    be[len] = '\0';
    if (colon && colon[1])
        *device = colon + 1;
    return 0;
}

void fnrt_diff_tolerance(int op_type, int chain, double *atol, double *rtol)
{
    if (chain) {
        *rtol = 1e-3;
        *atol = 1e-4;
        return;
    }
    switch (op_type) {
    case FNRT_OP_CONV2D:
    case FNRT_OP_DECONV2D: *rtol = 1e-4; *atol = 1e-5; break;
    case FNRT_OP_MODULATE:
    case FNRT_OP_GLOBAL_AVGPOOL:
    case FNRT_OP_L2NORM: *rtol = 1e-5; *atol = 1e-6; break;
    case FNRT_OP_UPSAMPLE2X:
    case FNRT_OP_GRAY:
    case FNRT_OP_ADD: *rtol = 1e-6; *atol = 1e-6; break;
    default: *rtol = 0.0; *atol = 0.0; break; /* maxpool, concat, maxmerge: exact */
    }
}

typedef struct side {
    const fnrt_backend_ops *be;
    void *ctx;
    fnrt_buf **bufs; /* per graph tensor */
    char label[300];
} side;

static void side_free(side *s, int n_tensors)
{
    if (s->bufs) {
        for (int t = 0; t < n_tensors; t++)
            if (s->bufs[t])
                s->be->buf_free(s->ctx, s->bufs[t]);
        free(s->bufs);
    }
    if (s->ctx)
        s->be->destroy(s->ctx);
    memset(s, 0, sizeof *s);
}

static fnrt_status side_open(side *s, const char *spec, const fnrt_graph *g, const float *rgb)
{
    char name[32];
    const char *device;
    fnrt_status st;
    if (fnrt_diff_parse_device(spec, name, sizeof name, &device) < 0)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "diff: bad device '%s' (backend[:device], e.g. "
                          "ref, opencl, opencl:0, opencl:pthread)", spec ? spec : "");
    if (!(s->be = fnrt_backend_find(name)))
        return fnrt_error(FNRT_ERR_INVALID_ARG, "diff: unknown backend '%s' in '%s' (known: "
                          "ref, opencl)", name, spec);
    /* no fallback: every op must run on the side asked for */
    for (int i = 0; i < g->n_ops; i++)
        if (!s->be->run[g->ops[i].type])
            return fnrt_error(FNRT_ERR_UNSUPPORTED, "diff: backend '%s' cannot run op %s (%s)",
                              name, g->ops[i].name, fnrt_op_type_str(g->ops[i].type));
    if ((st = s->be->create(device, &s->ctx)) != FNRT_OK) {
        s->ctx = NULL;
        return st;
    }
    snprintf(s->label, sizeof s->label, "%s: %s", s->be->name, s->be->device_name(s->ctx));
    if (!(s->bufs = calloc((size_t)g->n_tensors, sizeof *s->bufs)))
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    for (int t = 0; t < g->n_tensors; t++) {
        const fnrt_gtensor *gt = &g->tensors[t];
        if ((st = s->be->buf_create(s->ctx, &gt->shape, &s->bufs[t])) != FNRT_OK)
            return st;
        const float *src = gt->kind == FNRT_TENSOR_PARAM ? gt->data
                           : t == g->input               ? rgb
                                                         : NULL;
        if (src && (st = s->be->buf_write(s->ctx, s->bufs[t], src,
                                          fnrt_shape_elems(&gt->shape))) != FNRT_OK)
            return st;
    }
    return s->be->finish ? s->be->finish(s->ctx) : FNRT_OK;
}

static fnrt_status run_op(side *s, const fnrt_op *op)
{
    fnrt_buf *args[FNRT_OP_MAX_IN + 1];
    for (int j = 0; j < op->n_in; j++)
        args[j] = op->in[j] >= 0 ? s->bufs[op->in[j]] : NULL;
    args[op->n_in] = s->bufs[op->out];
    fnrt_status st = s->be->run[op->type](s->ctx, op, args);
    if (st == FNRT_OK && s->be->finish)
        st = s->be->finish(s->ctx);
    return st;
}

static int mkdir_p1(const char *path)
{
    return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

static fnrt_status dump(const char *dir, const char *sub, const char *name, const float *data,
                        const fnrt_shape *shape)
{
    char path[4096], safe[FNRT_NAME_MAX];
    snprintf(safe, sizeof safe, "%s", name);
    for (char *p = safe; *p; p++)
        if (*p == '/')
            *p = '_';
    snprintf(path, sizeof path, "%s/%s/%s.npy", dir, sub, safe);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return fnrt_error(FNRT_ERR_IO, "diff: cannot write %s: %s", path, strerror(errno));
    fnrt_status st = fnrt_npy_write_f32(fp, data, shape->ndim, shape->dims);
    if (fclose(fp) != 0 && st == FNRT_OK)
        st = fnrt_error(FNRT_ERR_IO, "diff: cannot write %s", path);
    return st;
}

static void shape_str(const fnrt_shape *s, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int d = 0; d < s->ndim && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, d ? "x%lld" : "%lld", (long long)s->dims[d]);
}

fnrt_status fnrt_graph_diff(const fnrt_model *m, const float *rgb, const fnrt_diff_opts *o,
                            fnrt_diff_result *r)
{
    const fnrt_graph *g = &m->graph;
    FILE *out = o->out ? o->out : stdout;
    side a = {0}, b = {0};
    float **host = NULL; /* A-side copies of activations (isolated mode feeds them to B) */
    float *hb = NULL;
    fnrt_status st = FNRT_OK;
    int injected = 0;
    memset(r, 0, sizeof *r);
    r->first_fail = -1;

    if (o->dump_dir) {
        char p[4096];
        int bad = mkdir_p1(o->dump_dir) < 0;
        snprintf(p, sizeof p, "%s/A", o->dump_dir);
        bad |= mkdir_p1(p) < 0;
        snprintf(p, sizeof p, "%s/B", o->dump_dir);
        bad |= mkdir_p1(p) < 0;
        if (bad)
            return fnrt_error(FNRT_ERR_IO, "diff: cannot create %s/A and %s/B: %s", o->dump_dir,
                              o->dump_dir, strerror(errno));
    }
    if ((st = side_open(&a, o->dev_a, g, rgb)) != FNRT_OK ||
        (st = side_open(&b, o->dev_b, g, rgb)) != FNRT_OK)
        goto done;
    host = calloc((size_t)g->n_tensors, sizeof *host);
    size_t max_elems = 0;
    for (int i = 0; i < g->n_ops; i++) {
        size_t n = fnrt_shape_elems(&g->ops[i].out_shape);
        max_elems = n > max_elems ? n : max_elems;
    }
    hb = malloc((max_elems ? max_elems : 1) * sizeof *hb);
    if (!host || !hb) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t n_in = fnrt_shape_elems(&g->tensors[g->input].shape);
    if (!(host[g->input] = malloc(n_in * sizeof(float)))) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(host[g->input], rgb, n_in * sizeof(float));
    if (o->dump_dir && ((st = dump(o->dump_dir, "A", g->tensors[g->input].name, rgb,
                                   &g->tensors[g->input].shape)) != FNRT_OK ||
                        (st = dump(o->dump_dir, "B", g->tensors[g->input].name, rgb,
                                   &g->tensors[g->input].shape)) != FNRT_OK))
        goto done;

    fprintf(out, "A = %s\nB = %s\n", a.label, b.label);
    fprintf(out, "mode: %s; a layer passes when max|A-B| <= atol + rtol * max|A|\n",
            o->chain ? "chained (each side on its own results; rtol 1e-3, atol 1e-4)"
                     : "isolated (B's op reads A's inputs; per-op tolerance table)");
    fprintf(out, "%4s  %-28s %-14s %-12s %11s %11s %11s  %s\n", "#", "layer", "op", "shape",
            "max|A|", "max abs err", "rel err", "");
    for (int i = 0; i < g->n_ops; i++) {
        const fnrt_op *op = &g->ops[i];
        size_t n = fnrt_shape_elems(&op->out_shape);
        if (!o->chain) {
            for (int j = 0; j < op->n_in; j++) {
                int t = op->in[j];
                if (t < 0 || g->tensors[t].kind == FNRT_TENSOR_PARAM || !host[t])
                    continue;
                if ((st = b.be->buf_write(b.ctx, b.bufs[t], host[t],
                                          fnrt_shape_elems(&g->tensors[t].shape))) != FNRT_OK)
                    goto done;
            }
        }
        if ((st = run_op(&a, op)) != FNRT_OK || (st = run_op(&b, op)) != FNRT_OK) {
            fprintf(out, "%4d  %-28s %-14s error: %s\n", i, op->name,
                    fnrt_op_type_str(op->type), fnrt_last_error());
            goto done;
        }
        if (!(host[op->out] = malloc(n * sizeof(float)))) {
            st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
            goto done;
        }
        float *ha = host[op->out];
        if ((st = a.be->buf_read(a.ctx, a.bufs[op->out], ha, n)) != FNRT_OK ||
            (st = b.be->buf_read(b.ctx, b.bufs[op->out], hb, n)) != FNRT_OK)
            goto done;
        if (o->inject && strcmp(o->inject, op->name) == 0) {
            injected = 1;
            hb[n / 2] += 0.01f * (fabsf(hb[n / 2]) + 1.0f); /* the testing hook */
            if ((st = b.be->buf_write(b.ctx, b.bufs[op->out], hb, n)) != FNRT_OK)
                goto done;
        }
        double max_a = 0.0, max_err = 0.0;
        int nonfinite = 0;
        for (size_t e = 0; e < n; e++) {
            double va = ha[e], vb = hb[e];
            if (!isfinite(va) || !isfinite(vb)) {
                if (!(isnan(va) && isnan(vb)) && va != vb)
                    nonfinite = 1;
                continue;
            }
            double d = fabs(va - vb);
            max_a = fabs(va) > max_a ? fabs(va) : max_a;
            max_err = d > max_err ? d : max_err;
        }
        double atol, rtol;
        fnrt_diff_tolerance(op->type, o->chain, &atol, &rtol);
        double tol = atol + rtol * max_a;
        double rel = max_a > 0.0 ? max_err / max_a : max_err;
        int ok = !nonfinite && max_err <= tol;
        double ratio = nonfinite ? INFINITY : tol > 0.0 ? max_err / tol : (max_err > 0 ? INFINITY : 0);
        if (ratio > r->worst_ratio)
            r->worst_ratio = ratio;
        char shp[48];
        shape_str(&op->out_shape, shp, sizeof shp);
        if (nonfinite)
            fprintf(out, "%4d  %-28s %-14s %-12s %11.4g %11s %11s  FAIL (non-finite values "
                    "differ)\n", i, op->name, fnrt_op_type_str(op->type), shp, max_a, "inf", "inf");
        else
            fprintf(out, "%4d  %-28s %-14s %-12s %11.4g %11.3g %11.3g  %s\n", i, op->name,
                    fnrt_op_type_str(op->type), shp, max_a, max_err, rel, ok ? "ok" : "FAIL");
        if (o->dump_dir && ((st = dump(o->dump_dir, "A", op->name, ha, &op->out_shape)) != FNRT_OK ||
                            (st = dump(o->dump_dir, "B", op->name, hb, &op->out_shape)) != FNRT_OK))
            goto done;
        r->n_compared++;
        if (!ok) {
            r->n_failed++;
            if (r->first_fail < 0) {
                r->first_fail = i;
                snprintf(r->first_fail_name, sizeof r->first_fail_name, "%s", op->name);
                fprintf(out, "      tolerance: atol %g + rtol %g * %.4g = %.3g; %s\n", atol,
                        rtol, max_a, tol,
                        o->chain ? "earlier layers may have contributed (chained mode)"
                                 : "its inputs were identical on both sides: this op differs");
            }
            if (!o->keep_going)
                break;
        }
    }
    if (o->inject && !injected && r->first_fail < 0)
        fprintf(out, "warning: no layer named '%s' to perturb (FNRT_DIFF_INJECT)\n", o->inject);
done:
    if (host) {
        for (int t = 0; t < g->n_tensors; t++)
            free(host[t]);
        free(host);
    }
    free(hb);
    side_free(&b, g->n_tensors);
    side_free(&a, g->n_tensors);
    return st;
}
