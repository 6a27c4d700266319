/* fnrt-quant-eval: what each FPGA precision costs in accuracy.
 *
 *   fnrt-quant-eval -m MODEL -i IMAGE.png [--prec fp32,int16,int8,int8t,fx16,fx8] [--csv FILE]
 *
 * Runs the model's graph op by op on the plain-C reference backend (float), once as is and
 * once per precision with every tensor the FPGA kernels hold in reduced precision rounded
 * between ops (quantise, then dequantise: the arithmetic inside an op stays exact, as the
 * kernels' wide accumulators are):
 *   activations  the input image and every op output (the kernels' act_t);
 *   weights      conv/deconv weights, including the modulated SDFT weights (the output of
 *                FNRT_OP_MODULATE, written as wt_t by fnrt_modulate); biases stay float (the
 *                kernels add them in post_t), the raw SDFT weight is read as float.
 * Precisions:
 *   int16, int8  symmetric integers with scales: per tensor for activations, calibrated on
 *                this input (max |x| of the float run), per output channel for weights;
 *                round to nearest, saturate.  What a requantising integer design computes:
 *                for int8 the conv engine's FNRT_HLS_PREC 3 build (prec_q8 in
 *                hls/common/fnrt-hls-types.h, checked by hls/conv2d/tb-conv2d-q8.cpp), which
 *                rounds each output once with its per-output-channel multiplier (it also
 *                rounds a LeakyReLU input on the codes, which this emulation does not).
 *   int8t        int8 with one scale per weight tensor instead of per output channel: what
 *                the per-channel scales buy.
 *   fx16, fx8    the HLS builds' ap_fixed types with one binary point for every layer:
 *                fx16 = ap_fixed<16,6> activations, ap_fixed<16,3> weights; fx8 =
 *                ap_fixed<8,4> / ap_fixed<8,1>; AP_RND (ties up) and AP_SAT.
 *   fp32         no rounding (checks the harness: 0 error).
 * Reported: angular error of the final normals (and of the coarse exemplar) against the
 * float run, in degrees, over all pixels: mean, median, 95th percentile, max. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ref/ref.h"
#include "core/model.h"
#include "io/image.h"

typedef struct scheme {
    const char *name;
    int kind;         /* 0 none, 1 scaled integer, 2 fixed point */
    int bits;         /* integer: total bits */
    int act_f, act_i; /* fixed: fraction bits, integer bits (sign included) of activations */
    int wt_f, wt_i;
    int per_tensor; /* integer: one weight scale per tensor instead of per output channel */
} scheme;

static const scheme SCHEMES[] = {
    {"fp32", 0, 0, 0, 0, 0, 0, 0},   {"int16", 1, 16, 0, 0, 0, 0, 0},
    {"int8", 1, 8, 0, 0, 0, 0, 0},   {"int8t", 1, 8, 0, 0, 0, 0, 1},
    {"fx16", 2, 0, 10, 6, 13, 3, 0}, {"fx8", 2, 0, 4, 4, 7, 1, 0},
};

/* round half up onto the grid of step 2^-f, clamp to [-2^(i-1), 2^(i-1) - 2^-f] */
static void quant_fixed(float *x, size_t n, int f, int i)
{
    double step = ldexp(1.0, -f), lo = -ldexp(1.0, i - 1), hi = ldexp(1.0, i - 1) - step;
    for (size_t k = 0; k < n; k++) {
        double v = floor((double)x[k] / step + 0.5) * step;
        x[k] = (float)(v < lo ? lo : v > hi ? hi : v);
    }
}

/* symmetric integer with scale max/qmax, round half up, saturate */
static void quant_int(float *x, size_t n, double maxabs, int bits)
{
    double qmax = ldexp(1.0, bits - 1) - 1.0;
    if (!(maxabs > 0))
        return;
    double s = maxabs / qmax;
    for (size_t k = 0; k < n; k++) {
        double q = floor((double)x[k] / s + 0.5);
        q = q > qmax ? qmax : q < -qmax ? -qmax : q;
        x[k] = (float)(q * s);
    }
}

static double max_abs(const float *x, size_t n)
{
    double m = 0.0;
    for (size_t k = 0; k < n; k++)
        if (fabs((double)x[k]) > m)
            m = fabs((double)x[k]);
    return m;
}

/* weights: per output channel (dim 0 for conv/modulated weights, dim 1 for deconv) */
static void quant_weight(const scheme *s, float *w, const fnrt_shape *sh, int out_dim)
{
    size_t n = fnrt_shape_elems(sh);
    if (s->kind == 2) {
        quant_fixed(w, n, s->wt_f, s->wt_i);
        return;
    }
    if (s->kind != 1)
        return;
    if (s->per_tensor) {
        quant_int(w, n, max_abs(w, n), s->bits);
        return;
    }
    size_t d0 = (size_t)sh->dims[0], d1 = (size_t)sh->dims[1], kk = n / (d0 * d1);
    size_t n_out = out_dim == 0 ? d0 : d1;
    for (size_t o = 0; o < n_out; o++) {
        double m = 0.0;
        for (size_t a = 0; a < (out_dim == 0 ? 1 : d0); a++)
            for (size_t b = 0; b < (out_dim == 0 ? d1 : 1); b++) {
                size_t base = out_dim == 0 ? (o * d1 + b) * kk : (a * d1 + o) * kk;
                m = fmax(m, max_abs(w + base, kk));
            }
        for (size_t a = 0; a < (out_dim == 0 ? 1 : d0); a++)
            for (size_t b = 0; b < (out_dim == 0 ? d1 : 1); b++) {
                size_t base = out_dim == 0 ? (o * d1 + b) * kk : (a * d1 + o) * kk;
                quant_int(w + base, kk, m, s->bits);
            }
    }
}

/* name is one of the comma-separated items of list */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == 0))
            return 1;
    return 0;
}

static void quant_act(const scheme *s, float *x, size_t n, double calib)
{
    if (s->kind == 1)
        quant_int(x, n, calib, s->bits);
    else if (s->kind == 2)
        quant_fixed(x, n, s->act_f, s->act_i);
}

/* Runs the graph; calib[t] records (s == NULL) or supplies the activation ranges. */
static fnrt_status run(const fnrt_graph *g, const float *rgb, const scheme *s, double *calib,
                       float **normals, float **exemplar)
{
    fnrt_status st = FNRT_OK;
    struct fnrt_buf *b = calloc((size_t)g->n_tensors, sizeof *b);
    if (!b)
        return fnrt_error(FNRT_ERR_NOMEM, "quant-eval: out of memory");
    for (int t = 0; t < g->n_tensors; t++) {
        b[t].n_elems = fnrt_shape_elems(&g->tensors[t].shape);
        b[t].data = malloc((b[t].n_elems ? b[t].n_elems : 1) * sizeof(float));
        if (!b[t].data) {
            st = fnrt_error(FNRT_ERR_NOMEM, "quant-eval: out of memory");
            goto done;
        }
        if (g->tensors[t].kind == FNRT_TENSOR_PARAM)
            memcpy(b[t].data, g->tensors[t].data, b[t].n_elems * sizeof(float));
    }
    memcpy(b[g->input].data, rgb, b[g->input].n_elems * sizeof(float));
    if (s)
        quant_act(s, b[g->input].data, b[g->input].n_elems, calib[g->input]);
    else
        calib[g->input] = max_abs(b[g->input].data, b[g->input].n_elems);
    /* conv/deconv weights held as wt_t (params once; modulated weights as produced) */
    for (int i = 0; s && i < g->n_ops; i++) {
        const fnrt_op *op = &g->ops[i];
        int w = op->in[1];
        if ((op->type == FNRT_OP_CONV2D || op->type == FNRT_OP_DECONV2D) &&
            g->tensors[w].kind == FNRT_TENSOR_PARAM)
            quant_weight(s, b[w].data, &g->tensors[w].shape, op->type == FNRT_OP_DECONV2D);
    }
    for (int i = 0; i < g->n_ops; i++) {
        const fnrt_op *op = &g->ops[i];
        fnrt_buf *args[FNRT_OP_MAX_IN + 1];
        for (int k = 0; k < op->n_in; k++)
            args[k] = op->in[k] >= 0 ? &b[op->in[k]] : NULL;
        args[op->n_in] = &b[op->out];
        if ((st = fnrt_backend_ref.run[op->type](NULL, op, args)) != FNRT_OK)
            goto done;
        fnrt_buf *y = &b[op->out];
        if (!s)
            calib[op->out] = max_abs(y->data, y->n_elems);
        else if (op->type == FNRT_OP_MODULATE)
            quant_weight(s, y->data, &op->out_shape, 0);
        else
            quant_act(s, y->data, y->n_elems, calib[op->out]);
    }
    *normals = b[g->out_normals].data;
    b[g->out_normals].data = NULL;
    if (g->out_exemplar >= 0) {
        *exemplar = b[g->out_exemplar].data;
        b[g->out_exemplar].data = NULL;
    }
done:
    for (int t = 0; t < g->n_tensors; t++)
        free(b[t].data);
    free(b);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* angular error stats (deg) of planar (3,n) maps: mean, median, p95, max */
static void ang_stats(const float *a, const float *b, size_t n, double out[4])
{
    double *e = malloc(n * sizeof *e), sum = 0.0;
    if (!e) {
        out[0] = out[1] = out[2] = out[3] = NAN;
        return;
    }
    for (size_t k = 0; k < n; k++) {
        double ax = a[k], ay = a[n + k], az = a[2 * n + k];
        double bx = b[k], by = b[n + k], bz = b[2 * n + k];
        double cx = ay * bz - az * by, cy = az * bx - ax * bz, cz = ax * by - ay * bx;
        e[k] = atan2(sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz) * 180.0 / M_PI;
        sum += e[k];
    }
    qsort(e, n, sizeof *e, cmp_double);
    out[0] = sum / (double)n;
    out[1] = e[n / 2];
    out[2] = e[(size_t)(0.95 * (double)(n - 1))];
    out[3] = e[n - 1];
    free(e);
}

int main(int argc, char **argv)
{
    const char *model = NULL, *image = NULL, *csv = NULL, *precs = "fp32,int16,int8,int8t,fx16,fx8";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-m"))
            model = argv[i + 1];
        else if (!strcmp(argv[i], "-i"))
            image = argv[i + 1];
        else if (!strcmp(argv[i], "--prec"))
            precs = argv[i + 1];
        else if (!strcmp(argv[i], "--csv"))
            csv = argv[i + 1];
        else
            model = NULL, i = argc;
    }
    if (!model || !image || argc % 2 == 0) {
        fprintf(stderr, "usage: fnrt-quant-eval -m MODEL -i IMAGE.png [--prec LIST] [--csv FILE]\n");
        return 2;
    }
    fnrt_model *m = NULL;
    fnrt_image img = {0, 0, 0, NULL}, in = {3, 0, 0, NULL};
    if (fnrt_model_load(model, &m) != FNRT_OK || fnrt_png_read(image, NULL, &img) != FNRT_OK) {
        fprintf(stderr, "fnrt-quant-eval: %s\n", fnrt_last_error());
        fnrt_model_free(m);
        return 3;
    }
    const fnrt_graph *g = &m->graph;
    int S = g->input_size, rc = 0;
    in.h = in.w = S;
    in.data = malloc((size_t)3 * S * S * sizeof(float));
    double *calib = calloc((size_t)g->n_tensors, sizeof *calib);
    float *n_ref = NULL, *e_ref = NULL;
    FILE *out = NULL;
    if (!in.data || !calib || fnrt_image_resize(&img, &in) != FNRT_OK ||
        run(g, in.data, NULL, calib, &n_ref, &e_ref) != FNRT_OK) {
        fprintf(stderr, "fnrt-quant-eval: %s\n", fnrt_last_error());
        rc = 1;
        goto done;
    }
    if (csv && !(out = fopen(csv, "w"))) {
        fprintf(stderr, "fnrt-quant-eval: cannot write %s\n", csv);
        rc = 1;
        goto done;
    }
    if (out)
        fprintf(out, "precision,normals_mean_deg,normals_median_deg,normals_p95_deg,"
                     "normals_max_deg,exemplar_mean_deg,exemplar_max_deg\n");
    printf("model %s, image %s (%dx%d -> %d), angular error vs float (degrees)\n", model, image,
           img.w, img.h, S);
    printf("%-7s %9s %9s %9s %9s | %13s %12s\n", "prec", "mean", "median", "p95", "max",
           "exemplar mean", "exemplar max");
    for (size_t k = 0; k < sizeof SCHEMES / sizeof SCHEMES[0]; k++) {
        const scheme *s = &SCHEMES[k];
        if (!in_list(precs, s->name))
            continue;
        float *nq = NULL, *eq = NULL;
        if (run(g, in.data, s, calib, &nq, &eq) != FNRT_OK) {
            fprintf(stderr, "fnrt-quant-eval: %s\n", fnrt_last_error());
            rc = 1;
            break;
        }
        double a[4], b[4] = {0, 0, 0, 0};
        ang_stats(nq, n_ref, (size_t)S * S, a);
        if (eq && e_ref)
            ang_stats(eq, e_ref, (size_t)S * S, b);
        printf("%-7s %9.4f %9.4f %9.4f %9.4f | %13.4f %12.4f\n", s->name, a[0], a[1], a[2],
               a[3], b[0], b[3]);
        if (out)
            fprintf(out, "%s,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n", s->name, a[0], a[1], a[2], a[3],
                    b[0], b[3]);
        if (!(a[0] >= 0.0) || (s->kind == 0 && a[3] != 0.0))
            rc = 1; /* NaN, or the harness itself is not exact */
        free(nq);
        free(eq);
    }
done:
    if (out)
        fclose(out);
    free(n_ref);
    free(e_ref);
    free(calib);
    free(in.data);
    fnrt_image_free(&img);
    fnrt_model_free(m);
    return rc;
}
