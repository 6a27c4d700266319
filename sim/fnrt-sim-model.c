/* fnrt co-design model (see fnrt-sim-model.h and sim/README.md). */
#include "fnrt-sim-model.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hls/common/fnrt-hls-layout.h"

#define SHORT_DEPTH FNRT_HLS_SHORT_DEPTH

/* ---- data file ---------------------------------------------------------------------- */

static int get_num(json_t *o, const char *key, double *out, const char *where)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v)) {
        fnrt_error(FNRT_ERR_FORMAT, "platform data: %s: '%s' missing or not a number", where,
                   key);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

static int get_int(json_t *o, const char *key, int *out, const char *where)
{
    double d;
    if (get_num(o, key, &d, where) < 0)
        return -1;
    if (d != floor(d) || d < 0 || d > 1e9) {
        fnrt_error(FNRT_ERR_FORMAT, "platform data: %s: '%s' must be a small whole number",
                   where, key);
        return -1;
    }
    *out = (int)d;
    return 0;
}

static int get_str(json_t *o, const char *key, char *out, size_t n, const char *where)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || strlen(json_string_value(v)) >= n) {
        fnrt_error(FNRT_ERR_FORMAT, "platform data: %s: '%s' missing or too long", where, key);
        return -1;
    }
    snprintf(out, n, "%s", json_string_value(v));
    return 0;
}

fnrt_status fnrt_sim_db_load(const char *path, fnrt_sim_db *db)
{
    json_error_t jerr;
    fnrt_status st = FNRT_ERR_FORMAT;
    memset(db, 0, sizeof *db);
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return fnrt_error(FNRT_ERR_IO, "platform data %s: %s (line %d)", path, jerr.text,
                          jerr.line);
    json_t *a = json_object_get(root, "platforms"), *e;
    size_t i;
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > FNRT_SIM_MAX_PLAT) {
        fnrt_error(FNRT_ERR_FORMAT, "platform data %s: 'platforms' must be a non-empty array",
                   path);
        goto done;
    }
    json_array_foreach(a, i, e)
    {
        fnrt_sim_platform *p = &db->plat[db->n_plat++];
        if (get_str(e, "name", p->name, sizeof p->name, "platform") < 0 ||
            get_str(e, "xpfm", p->xpfm, sizeof p->xpfm, p->name) < 0 ||
            get_str(e, "memory", p->memory, sizeof p->memory, p->name) < 0 ||
            get_num(e, "dsp", &p->dsp, p->name) < 0 ||
            get_num(e, "bram36", &p->bram36, p->name) < 0 ||
            get_num(e, "uram", &p->uram, p->name) < 0 || get_num(e, "lut", &p->lut, p->name) < 0 ||
            get_num(e, "mem_gbs", &p->mem_gbs, p->name) < 0 ||
            get_num(e, "port_gbs", &p->port_gbs, p->name) < 0 ||
            get_num(e, "mem_capacity_gb", &p->mem_capacity_gb, p->name) < 0 ||
            get_num(e, "clock_mhz", &p->clock_mhz, p->name) < 0 ||
            get_int(e, "banks", &p->banks, p->name) < 0)
            goto done;
        if (p->dsp <= 0 || p->bram36 <= 0 || p->lut <= 0 || p->mem_gbs <= 0 || p->port_gbs <= 0 ||
            p->clock_mhz <= 0) {
            fnrt_error(FNRT_ERR_FORMAT, "platform data: %s: resources must be positive", p->name);
            goto done;
        }
    }
    a = json_object_get(root, "precisions");
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > FNRT_SIM_MAX_PREC) {
        fnrt_error(FNRT_ERR_FORMAT, "platform data %s: 'precisions' must be an array", path);
        goto done;
    }
    json_array_foreach(a, i, e)
    {
        fnrt_sim_prec *p = &db->prec[db->n_prec++];
        if (get_str(e, "name", p->name, sizeof p->name, "precision") < 0 ||
            get_int(e, "hls_prec", &p->hls_prec, p->name) < 0 ||
            get_int(e, "act_bits", &p->act_bits, p->name) < 0 ||
            get_int(e, "wt_bits", &p->wt_bits, p->name) < 0 ||
            get_int(e, "acc_bits", &p->acc_bits, p->name) < 0 ||
            get_int(e, "loop_depth", &p->loop_depth, p->name) < 0 ||
            get_num(e, "dsp_per_mac", &p->dsp_per_mac, p->name) < 0 ||
            get_num(e, "lut_per_mac", &p->lut_per_mac, p->name) < 0 ||
            get_num(e, "post_dsp_per_lane", &p->post_dsp_per_lane, p->name) < 0 ||
            get_num(e, "post_lut_per_lane", &p->post_lut_per_lane, p->name) < 0)
            goto done;
        if ((p->act_bits != 8 && p->act_bits != 16 && p->act_bits != 32) ||
            (p->wt_bits != 8 && p->wt_bits != 16 && p->wt_bits != 32)) {
            fnrt_error(FNRT_ERR_FORMAT, "platform data: %s: bits must be 8, 16 or 32", p->name);
            goto done;
        }
    }
    json_t *k = json_object_get(root, "kernels");
    if (get_num(k, "engine_lut", &db->k.engine_lut, "kernels") < 0 ||
        get_num(k, "engine_dsp", &db->k.engine_dsp, "kernels") < 0 ||
        get_num(k, "engine_bram", &db->k.engine_bram, "kernels") < 0 ||
        get_num(k, "small_lut", &db->k.small_lut, "kernels") < 0 ||
        get_num(k, "small_dsp", &db->k.small_dsp, "kernels") < 0 ||
        get_num(k, "small_bram", &db->k.small_bram, "kernels") < 0 ||
        get_num(k, "glue_lut", &db->k.glue_lut, "kernels") < 0 ||
        get_num(k, "glue_bram", &db->k.glue_bram, "kernels") < 0 ||
        get_num(k, "launch_us", &db->k.launch_us, "kernels") < 0 ||
        get_num(k, "mem_efficiency", &db->k.mem_efficiency, "kernels") < 0 ||
        get_num(root, "budget_fraction", &db->budget, "top level") < 0)
        goto done;
    a = json_object_get(root, "validation");
    json_array_foreach(a, i, e)
    {
        if (db->n_val >= FNRT_SIM_MAX_VAL)
            break;
        fnrt_sim_validation *v = &db->val[db->n_val++];
        json_t *l = json_object_get(e, "layer");
        if (get_str(e, "name", v->name, sizeof v->name, "validation") < 0 ||
            get_str(e, "precision", v->precision, sizeof v->precision, v->name) < 0 ||
            get_num(e, "reported_gops", &v->reported_gops, v->name) < 0 ||
            get_num(e, "reported_dsp", &v->reported_dsp, v->name) < 0 ||
            get_num(e, "clock_mhz", &v->clock_mhz, v->name) < 0 ||
            get_int(e, "cus", &v->cus, v->name) < 0 || get_int(e, "p", &v->p, v->name) < 0 ||
            get_int(e, "max_pix", &v->max_pix, v->name) < 0 ||
            get_int(l, "ci", &v->ci, v->name) < 0 || get_int(l, "co", &v->co, v->name) < 0 ||
            get_int(l, "h", &v->h, v->name) < 0 || get_int(l, "w", &v->w, v->name) < 0 ||
            get_int(l, "k", &v->k, v->name) < 0 || get_int(l, "stride", &v->stride, v->name) < 0 ||
            get_int(l, "pad", &v->pad, v->name) < 0)
            goto done;
    }
    a = json_object_get(root, "targets");
    json_array_foreach(a, i, e)
    {
        if (db->n_tgt >= FNRT_SIM_MAX_VAL)
            break;
        fnrt_sim_target *t = &db->tgt[db->n_tgt++];
        if (get_str(e, "platform", t->platform, sizeof t->platform, "target") < 0 ||
            get_str(e, "precision", t->precision, sizeof t->precision, "target") < 0 ||
            get_num(e, "img_per_s", &t->img_per_s, "target") < 0)
            goto done;
    }
    st = FNRT_OK;
done:
    json_decref(root);
    return st;
}

const fnrt_sim_platform *fnrt_sim_find_platform(const fnrt_sim_db *db, const char *name)
{
    for (int i = 0; i < db->n_plat; i++)
        if (!strcmp(db->plat[i].name, name) || !strcmp(db->plat[i].xpfm, name))
            return &db->plat[i];
    return NULL;
}

const fnrt_sim_prec *fnrt_sim_find_prec(const fnrt_sim_db *db, const char *name)
{
    for (int i = 0; i < db->n_prec; i++)
        if (!strcmp(db->prec[i].name, name))
            return &db->prec[i];
    return NULL;
}

/* ---- memories ----------------------------------------------------------------------- */

double fnrt_sim_bram36(int width_bits, long long depth)
{
    static const int cfg[][2] = {{512, 72},  {1024, 36},  {2048, 18},  {4096, 9},
                                 {8192, 4},  {16384, 2},  {32768, 1}};
    double best = 1e30;
    if (width_bits <= 0 || depth <= 0)
        return 0.0;
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        double n = ceil((double)width_bits / cfg[i][1]) * ceil((double)depth / cfg[i][0]);
        if (n < best)
            best = n;
    }
    return best;
}

double fnrt_sim_uram(int width_bits, long long depth)
{
    if (width_bits <= 0 || depth <= 0)
        return 0.0;
    return ceil(width_bits / 72.0) * ceil((double)depth / 4096.0);
}

/* ---- ops ---------------------------------------------------------------------------- */

const char *fnrt_sim_kernel_name(fnrt_sim_kernel k)
{
    static const char *n[] = {"conv2d",   "deconv2d",       "maxpool",  "upsample2x",
                              "gray",     "l2norm",         "global_avgpool",
                              "modulate", "concat",         "merge",    "eltwise"};
    return k < FNRT_SIM_K_COUNT ? n[k] : "?";
}

static fnrt_sim_kernel op_kernel(const fnrt_op *op)
{
    switch (op->type) {
    case FNRT_OP_CONV2D: return FNRT_SIM_K_CONV2D;
    case FNRT_OP_DECONV2D: return FNRT_SIM_K_DECONV2D;
    case FNRT_OP_MAXPOOL: return FNRT_SIM_K_MAXPOOL;
    case FNRT_OP_UPSAMPLE2X: return FNRT_SIM_K_UPSAMPLE2X;
    case FNRT_OP_GRAY: return FNRT_SIM_K_GRAY;
    case FNRT_OP_L2NORM: return FNRT_SIM_K_L2NORM;
    case FNRT_OP_GLOBAL_AVGPOOL: return FNRT_SIM_K_GAP;
    case FNRT_OP_MODULATE: return FNRT_SIM_K_MODULATE;
    case FNRT_OP_ADD:
    case FNRT_OP_MAXMERGE: return FNRT_SIM_K_MERGE;
    case FNRT_OP_CONCAT: return FNRT_SIM_K_CONCAT;
    default: return FNRT_SIM_K_ELTWISE;
    }
}

static int is_engine(fnrt_sim_kernel k)
{
    return k == FNRT_SIM_K_CONV2D || k == FNRT_SIM_K_DECONV2D;
}

/* The host runs a thin conv (c <= P channels, k > 1) through fnrt_mm2s's im2col order when
 * that needs fewer beats per pixel than taps (and at most 4 beats, width <= 512). */
int fnrt_sim_use_im2col(const fnrt_op *op, int p)
{
    if (op->type != FNRT_OP_CONV2D || op->p.conv.kh < 2)
        return 0;
    int c = (int)op->in_shape[0].dims[0], kk = op->p.conv.kh * op->p.conv.kw;
    int beats = fnrt_hls_ceil_div(c * kk, p);
    return c <= p && beats < kk && beats <= 4 && op->in_shape[0].dims[2] <= 512;
}

/* The engine's loop nest: every output pixel of a phase sees taps-per-phase taps of every
 * input channel for every output channel; modulate handles every weight element once. */
double fnrt_sim_op_macs(const fnrt_op *op)
{
    const fnrt_shape *x = &op->in_shape[0], *y = &op->out_shape;
    switch (op->type) {
    case FNRT_OP_CONV2D:
        return (double)x->dims[0] * (double)y->dims[0] * (double)y->dims[1] * (double)y->dims[2] *
               op->p.conv.kh * op->p.conv.kw;
    case FNRT_OP_DECONV2D: {
        int kk = op->p.conv.kh / op->p.conv.stride;
        return (double)x->dims[0] * (double)y->dims[0] * (double)y->dims[1] * (double)y->dims[2] *
               kk * kk;
    }
    case FNRT_OP_MODULATE:
        return (double)y->dims[0] * (double)y->dims[1] * (double)y->dims[2] * (double)y->dims[3];
    default:
        return 0.0;
    }
}

static double bytes_of(double elems, int bits)
{
    return elems * bits / 8.0;
}

/* blocked tensor: channels padded to P */
static double act_bytes(const fnrt_shape *s, int p, int bits)
{
    double c = (double)fnrt_hls_ceil_div((int)s->dims[0], p) * p;
    return bytes_of(c * (double)s->dims[1] * (double)s->dims[2], bits);
}

typedef struct ctx {
    const fnrt_sim_db *db;
    const fnrt_graph *g;
    const fnrt_sim_design *d;
    double f_hz, port_bpc; /* port bytes per cycle (<= 64) */
    double load_stretch, out_stretch, wl_stretch;
    int lb_words, max_wc;
} ctx;

/* One op on one CU. */
static int eval_layer(const ctx *c, int i, fnrt_sim_layer *L)
{
    const fnrt_op *op = &c->g->ops[i];
    const fnrt_sim_prec *pr = c->d->prec;
    const int P = c->d->p, D = SHORT_DEPTH;
    const fnrt_shape *x = &op->in_shape[0], *y = &op->out_shape;
    memset(L, 0, sizeof *L);
    L->op = i;
    L->kernel = op_kernel(op);
    L->macs = fnrt_sim_op_macs(op);
    L->bound = "stream";
    if (is_engine(L->kernel)) {
        const fnrt_conv_params *cp = &op->p.conv;
        int tp = L->kernel == FNRT_SIM_K_DECONV2D;
        int ci = (int)x->dims[0], h = (int)x->dims[1], w = (int)x->dims[2];
        int kh = cp->kh, kw = cp->kw, st = cp->stride, pad = cp->pad;
        double glue = 0.0;
        fnrt_hls_conv_cycles cc;
        L->im2col = fnrt_sim_use_im2col(op, P);
        if (L->im2col) { /* a 1 x 1 conv with ci*k*k inputs on the output grid */
            int beats = fnrt_hls_ceil_div(ci * kh * kw, P);
            glue = (double)h * (w + D) + (double)y->dims[1] * ((double)y->dims[2] * beats + D);
            ci = ci * kh * kw, h = (int)y->dims[1], w = (int)y->dims[2];
            kh = kw = st = 1, pad = 0;
        }
        if (fnrt_hls_conv_cycles_eval(ci, h, w, (int)y->dims[0], kh, kw, st, pad, tp, P,
                                      pr->wt_bits, c->d->max_pix, c->lb_words, pr->loop_depth,
                                      c->wl_stretch, c->load_stretch, &cc) != 0)
            return -1;
        if (glue > (double)cc.total) /* the expansion, not the engine, sets the pace */
            cc.overhead += (long long)(glue - (double)cc.total), cc.total = (long long)glue;
        double out_beats = (double)fnrt_hls_ceil_div((int)y->dims[0], P) * y->dims[1] * y->dims[2];
        L->cycles_load = (double)cc.load;
        L->cycles_mac = (double)cc.mac;
        L->cycles_useful = (double)cc.mac_useful;
        L->cycles_overhead = (double)cc.overhead + out_beats * (c->out_stretch - 1.0);
        L->cycles = L->cycles_load + L->cycles_mac + L->cycles_overhead;
        L->tile_rows = cc.tile_rows;
        L->n_bands = cc.n_bands;
        L->bytes_weights = (double)cc.weight_words * 64.0 + 4.0 * (double)y->dims[0];
        L->bytes_act_in = act_bytes(x, P, pr->act_bits);
        if (op->n_in > 3 && op->in[3] >= 0)
            L->bytes_act_in += act_bytes(&op->in_shape[3], P, pr->act_bits);
        L->bytes_act_out = act_bytes(y, P, pr->act_bits);
        L->util = L->macs / (L->cycles * (double)P * P);
        if (L->cycles_mac - L->cycles_useful > 0.4 * L->cycles)
            L->bound = "weights";
        else if (L->cycles_load > 0.3 * L->cycles)
            L->bound = "stream";
        else if (L->cycles_overhead > 0.3 * L->cycles)
            L->bound = "overhead";
        else
            L->bound = "compute";
    } else {
        double ncg_in = fnrt_hls_ceil_div((int)x->dims[0], P);
        double ncg_out = fnrt_hls_ceil_div((int)y->dims[0], P);
        double h = (double)x->dims[1], w = (double)x->dims[2];
        double ls = c->load_stretch, os = c->out_stretch;
        L->bytes_act_out = act_bytes(y, P, pr->act_bits);
        L->bytes_act_in = act_bytes(x, P, pr->act_bits);
        switch (L->kernel) {
        case FNRT_SIM_K_MAXPOOL:
            L->cycles_load = h * (ceil(w * ncg_in * ls) + D);
            L->cycles_mac = (double)y->dims[1] * (ceil(y->dims[2] * ncg_out * os) + D);
            break;
        case FNRT_SIM_K_UPSAMPLE2X:
            L->cycles_load = h * (ceil(w * ncg_in * ls) + D);
            L->cycles_mac = (double)y->dims[1] * (ceil(y->dims[2] * ncg_out * os) + D);
            break;
        case FNRT_SIM_K_GRAY:
        case FNRT_SIM_K_L2NORM:
            L->cycles_mac = ceil(h * w * (ls > os ? ls : os)) + D;
            break;
        case FNRT_SIM_K_GAP:
            L->cycles_load = ceil(h * w * ncg_in * ls) + D;
            L->cycles_overhead = ncg_in * (8.0 * P + 8.0) + 2 * D;
            break;
        case FNRT_SIM_K_MODULATE: {
            const fnrt_shape *ws = &op->in_shape[0];
            double elems = (double)fnrt_hls_packed_weight_elems((int)ws->dims[1],
                                                                (int)ws->dims[0], (int)ws->dims[2],
                                                                (int)ws->dims[3], P, pr->wt_bits);
            double words = elems / 16.0;
            L->cycles_mac = 2.0 * words * (c->wl_stretch > 1.0 ? c->wl_stretch : 1.0);
            L->cycles_overhead = (double)ws->dims[0] * 9.0 + (double)ws->dims[1] + 4 * D;
            L->bytes_weights = 2.0 * elems * 4.0 + bytes_of(elems, pr->wt_bits);
            L->bytes_act_in = bytes_of((double)ws->dims[1], pr->act_bits);
            L->bytes_act_out = 0.0; /* counted in bytes_weights */
            L->bound = "weights";
            break;
        }
        case FNRT_SIM_K_CONCAT: {
            /* two glue copies into one buffer: a as is, b[0::stride] gathered from the
             * source blocks the selection spans */
            const fnrt_shape *b = &op->in_shape[1];
            int st = op->p.cat.stride_b, cb = (int)b->dims[0];
            int cbo = (cb + st - 1) / st, ngb = fnrt_hls_ceil_div(cbo, P);
            double blocks = 0.0;
            for (int gI = 0; gI < ngb; gI++) {
                int hi_k = (gI + 1) * P < cbo ? (gI + 1) * P : cbo;
                blocks += (double)((hi_k - 1) * st / P - (gI * P * st) / P + 1);
            }
            double ga = fnrt_hls_ceil_div((int)x->dims[0], P);
            L->cycles_mac = h * (ceil(w * ga * ls) + D) +
                            h * (ceil(w * (st > 1 ? blocks + ngb : ngb) * ls) + D);
            L->bytes_act_in = act_bytes(x, P, pr->act_bits) +
                              bytes_of(blocks * P * h * w, pr->act_bits);
            L->bytes_skip = bytes_of(blocks * P * h * w, pr->act_bits);
            break;
        }
        case FNRT_SIM_K_MERGE: {
            /* hls/elementwise/fnrt-merge.h: add reads one beat of each input per output
             * beat; maxmerge reads a pixel's beats of x, then of the skip, then writes */
            const fnrt_shape *b = &op->in_shape[1];
            double ngb = fnrt_hls_ceil_div((int)b->dims[0], P);
            double beats = op->type == FNRT_OP_ADD ? ncg_out : 2.0 * ncg_out + ngb;
            L->cycles_mac = h * (ceil(w * beats * (ls > os ? ls : os)) + D);
            L->bytes_act_in += act_bytes(b, P, pr->act_bits);
            L->bytes_skip = act_bytes(b, P, pr->act_bits);
            break;
        }
        default: { /* streams in parallel: the longest one sets the pace */
            double beats = ceil(ncg_out * (double)y->dims[1] * y->dims[2] * os);
            L->bytes_act_in = 0.0;
            for (int k = 0; k < op->n_in; k++) {
                const fnrt_shape *s = &op->in_shape[k];
                if (op->in[k] < 0 || s->ndim != 3)
                    continue;
                double b = ceil(fnrt_hls_ceil_div((int)s->dims[0], P) * (double)s->dims[1] *
                                s->dims[2] * ls);
                beats = b > beats ? b : beats;
                L->bytes_act_in += act_bytes(s, P, pr->act_bits);
            }
            L->cycles_mac = beats + D;
            break;
        }
        }
        L->cycles = L->cycles_load + L->cycles_mac + L->cycles_overhead;
    }
    L->time_s = L->cycles / c->f_hz + c->db->k.launch_us * 1e-6;
    return 0;
}

/* ---- resources ---------------------------------------------------------------------- */

static fnrt_sim_resources glue_cu(const ctx *c)
{
    const fnrt_sim_prec *pr = c->d->prec;
    fnrt_sim_resources r = {0, 0, 0, 0};
    r.lut = c->db->k.glue_lut;
    r.bram36 = c->db->k.glue_bram;
    /* ping-pong row buffer, bound to URAM */
    r.uram = fnrt_sim_uram(c->d->p * pr->act_bits, 2LL * fnrt_hls_ceil_div(c->max_wc, c->d->p));
    return r;
}

static void add(fnrt_sim_resources *a, fnrt_sim_resources b, double n)
{
    a->dsp += b.dsp * n;
    a->bram36 += b.bram36 * n;
    a->uram += b.uram * n;
    a->lut += b.lut * n;
}

/* One CU of a unit's kernel, with the glue CUs that feed and drain it. */
static fnrt_sim_resources unit_cu(const ctx *c, fnrt_sim_kernel k, int n_streams)
{
    const fnrt_sim_prec *pr = c->d->prec;
    const fnrt_sim_kernels *kk = &c->db->k;
    const int P = c->d->p;
    fnrt_sim_resources r = {0, 0, 0, 0}, gl = glue_cu(c);
    if (is_engine(k)) {
        r.dsp = (double)P * P * pr->dsp_per_mac + P * pr->post_dsp_per_lane + kk->engine_dsp;
        r.lut = (double)P * P * pr->lut_per_mac + P * pr->post_lut_per_lane + kk->engine_lut;
        r.bram36 = P * fnrt_sim_bram36(pr->acc_bits, c->d->max_pix) /* accumulator banks */
                   + ceil(P / 2.0)                                 /* tanh tables */
                   + kk->engine_bram;
        r.uram = fnrt_sim_uram(P * pr->act_bits, c->lb_words);     /* line buffer */
        add(&r, gl, k == FNRT_SIM_K_CONV2D ? 3 : 2);                /* mm2s x (+res), s2mm */
        return r;
    }
    r.lut = kk->small_lut;
    r.dsp = kk->small_dsp;
    r.bram36 = kk->small_bram;
    switch (k) {
    case FNRT_SIM_K_MAXPOOL:
    case FNRT_SIM_K_UPSAMPLE2X:
        r.uram += fnrt_sim_uram(P * pr->act_bits, 3LL * fnrt_hls_ceil_div(c->max_wc, P));
        if (k == FNRT_SIM_K_UPSAMPLE2X) { /* three lerps per lane */
            r.dsp += 3.0 * P * pr->post_dsp_per_lane;
            r.lut += 3.0 * P * pr->post_lut_per_lane / 2.0;
        }
        add(&r, gl, 2);
        break;
    case FNRT_SIM_K_MODULATE: /* 16 float lanes: two multiplies and an add each */
        r.dsp += 16 * 8;
        r.lut += 16 * 600;
        r.bram36 += 3.0 * fnrt_sim_bram36(32, 1024) + 8;
        break;
    case FNRT_SIM_K_CONCAT: /* fnrt_concat (or a plain mm2s -> s2mm copy) and its glue */
        add(&r, gl, 3);
        break;
    case FNRT_SIM_K_MERGE: /* P adders/comparators, two channel buffers; two mm2s, one s2mm */
        r.lut += P * pr->post_lut_per_lane;
        r.bram36 += 2.0 * fnrt_sim_bram36(P * pr->act_bits, 1024 / P + 1);
        add(&r, gl, 3);
        break;
    case FNRT_SIM_K_ELTWISE: /* one add/max per lane */
        r.dsp += P * pr->post_dsp_per_lane;
        r.lut += P * pr->post_lut_per_lane / 2.0;
        add(&r, gl, n_streams);
        break;
    default: /* gray, l2norm, global_avgpool: a few float operators */
        r.dsp += 20;
        r.lut += 3000;
        add(&r, gl, 2);
        break;
    }
    return r;
}

/* ---- evaluation --------------------------------------------------------------------- */

static int unit_of(fnrt_sim_result *r, const fnrt_graph *g, const fnrt_op *op, int stage,
                   int pooled)
{
    fnrt_sim_kernel k = op_kernel(op);
    char name[48];
    if (is_engine(k) && !pooled)
        snprintf(name, sizeof name, "%s.%s", g->stages[stage].name, fnrt_sim_kernel_name(k));
    else if (k == FNRT_SIM_K_ELTWISE)
        snprintf(name, sizeof name, "%s", fnrt_op_type_str(op->type));
    else
        snprintf(name, sizeof name, "%s", fnrt_sim_kernel_name(k));
    for (int u = 0; u < r->n_units; u++)
        if (!strcmp(r->units[u].name, name))
            return u;
    if (r->n_units >= FNRT_SIM_MAX_UNITS)
        return -1;
    fnrt_sim_unit *u = &r->units[r->n_units];
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    u->kernel = k;
    u->stage = is_engine(k) && !pooled ? stage : -1;
    u->n_streams = 1;
    for (int j = 0; j < op->n_in; j++)
        u->n_streams += op->in[j] >= 0 && op->in_shape[j].ndim == 3;
    return r->n_units++;
}

static void size_buffers(const fnrt_graph *g, const fnrt_sim_design *d, int *lb, int *wc)
{
    int lb_words = 0, max_wc = 0;
    for (int i = 0; i < g->n_ops; i++) {
        const fnrt_op *op = &g->ops[i];
        for (int k = 0; k < op->n_in; k++) {
            const fnrt_shape *s = &op->in_shape[k];
            if (op->in[k] < 0 || s->ndim != 3)
                continue;
            int v = (int)s->dims[2] * fnrt_hls_ceil_div((int)s->dims[0], d->p) * d->p;
            if (v > max_wc)
                max_wc = v;
        }
        if (op->type != FNRT_OP_CONV2D && op->type != FNRT_OP_DECONV2D)
            continue;
        const fnrt_shape *x = &op->in_shape[0], *y = &op->out_shape;
        int ho = (int)y->dims[1], wo = (int)y->dims[2];
        int tr = d->max_pix / wo;
        if (tr > ho)
            tr = ho;
        if (tr < 1)
            tr = 1;
        int rows, need;
        if (fnrt_sim_use_im2col(op, d->p)) {
            rows = tr;
            need = rows * wo *
                   fnrt_hls_ceil_div((int)x->dims[0] * op->p.conv.kh * op->p.conv.kw, d->p);
        } else {
            rows = fnrt_hls_band_in_rows(tr, op->p.conv.kh, op->p.conv.stride,
                                         op->type == FNRT_OP_DECONV2D);
            need = rows * (int)x->dims[2] * fnrt_hls_ceil_div((int)x->dims[0], d->p);
        }
        if (need > lb_words)
            lb_words = need;
    }
    *lb = d->lb_words > 0 ? d->lb_words : (lb_words + 511) / 512 * 512;
    *wc = d->max_wc > 0 ? d->max_wc : max_wc;
}

fnrt_status fnrt_sim_eval(const fnrt_sim_db *db, const fnrt_graph *g, fnrt_sim_design *d,
                          fnrt_sim_result *r)
{
    memset(r, 0, sizeof *r);
    if (!d->plat || !d->prec || d->p < 2 || d->max_pix < 1 || d->clock_mhz <= 0)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "sim: incomplete design");
    ctx c;
    memset(&c, 0, sizeof c);
    c.db = db, c.g = g, c.d = d;
    c.f_hz = d->clock_mhz * 1e6;
    c.port_bpc = d->plat->port_gbs * 1e9 / c.f_hz;
    if (c.port_bpc > 64.0)
        c.port_bpc = 64.0; /* one 512-bit word per cycle and port */
    double beat = d->p * d->prec->act_bits / 8.0;
    c.load_stretch = beat > c.port_bpc ? beat / c.port_bpc : 1.0;
    c.out_stretch = c.load_stretch;
    c.wl_stretch = 64.0 / c.port_bpc;
    size_buffers(g, d, &c.lb_words, &c.max_wc);
    r->lb_words = c.lb_words;
    r->max_wc = c.max_wc;

    r->layers = calloc((size_t)g->n_ops, sizeof *r->layers);
    if (!r->layers)
        return fnrt_error(FNRT_ERR_NOMEM, "sim: out of memory");
    r->n_layers = g->n_ops;
    r->n_stages = g->n_stages;
    int runnable = 1;
    for (int s = 0; s < g->n_stages; s++) {
        const fnrt_stage *st = &g->stages[s];
        for (int i = st->first_op; i < st->first_op + st->n_ops; i++) {
            fnrt_sim_layer *L = &r->layers[i];
            if (eval_layer(&c, i, L) != 0) {
                runnable = 0;
                L->op = i;
                L->time_s = 1e9;
            }
            L->stage = s;
            L->unit = unit_of(r, g, &g->ops[i], s, d->pooled);
            if (L->unit < 0)
                return fnrt_error(FNRT_ERR_INTERNAL, "sim: too many units");
            fnrt_sim_unit *u = &r->units[L->unit];
            u->time_s += L->time_s;
            u->macs += L->macs;
            u->n_ops++;
            r->stage_macs[s] += L->macs;
            r->stage_time_s[s] += L->time_s;
            double b = L->bytes_weights + L->bytes_act_in + L->bytes_act_out;
            r->stage_bytes[s] += b;
            r->bytes_per_image += b;
            r->weight_bytes_per_image += L->bytes_weights;
            r->skip_bytes_per_image += L->bytes_skip;
            r->macs += L->macs;
        }
    }
    /* weights at the design's precision vs on-chip memory */
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].kind == FNRT_TENSOR_PARAM)
            r->weight_bytes_total += bytes_of((double)fnrt_shape_elems(&g->tensors[t].shape),
                                              d->prec->wt_bits);
    r->onchip_bytes = d->plat->bram36 * 4608.0 + d->plat->uram * 36864.0;

    /* throughput, bottleneck, latency */
    double thr = 1e30;
    r->bottleneck = -1;
    int in_flight = 0;
    for (int u = 0; u < r->n_units; u++) {
        if (d->n_cu[u] < 1)
            d->n_cu[u] = 1;
        double t = d->n_cu[u] / r->units[u].time_s;
        in_flight += d->n_cu[u];
        if (t < thr) {
            thr = t;
            r->bottleneck = u;
        }
    }
    r->img_per_s_compute = thr;
    r->img_per_s_memory = d->plat->mem_gbs * 1e9 * db->k.mem_efficiency / r->bytes_per_image;
    r->img_per_s = thr;
    if (r->img_per_s_memory < thr) {
        r->img_per_s = r->img_per_s_memory;
        r->bottleneck = -1;
    }
    r->bottleneck_stage = -1;
    if (r->bottleneck >= 0) { /* the stage that spends most time on the bottleneck unit */
        double best = -1.0;
        for (int s = 0; s < g->n_stages; s++) {
            double t = 0.0;
            for (int i = 0; i < r->n_layers; i++)
                if (r->layers[i].stage == s && r->layers[i].unit == r->bottleneck)
                    t += r->layers[i].time_s;
            if (t > best)
                best = t, r->bottleneck_stage = s;
        }
    }
    double tc = 0, tg = 0, te = 0, tdec = 0;
    for (int s = 0; s < g->n_stages; s++) {
        if (!strcmp(g->stages[s].name, "coarse"))
            tc = r->stage_time_s[s];
        else if (!strcmp(g->stages[s].name, "guide"))
            tg = r->stage_time_s[s];
        else if (!strcmp(g->stages[s].name, "encoder"))
            te = r->stage_time_s[s];
        else
            tdec += r->stage_time_s[s];
    }
    r->latency_s = (tc + tg > te ? tc + tg : te) + tdec;

    /* activation buffers of every image in flight + packed weights */
    double act = 0.0;
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].kind != FNRT_TENSOR_PARAM && g->tensors[t].shape.ndim == 3)
            act += act_bytes(&g->tensors[t].shape, d->p, d->prec->act_bits);
    r->dram_bytes_in_flight = r->weight_bytes_total * 1.1 + act * in_flight;

    /* resources */
    for (int u = 0; u < r->n_units; u++)
        add(&r->use, unit_cu(&c, r->units[u].kernel, r->units[u].n_streams), d->n_cu[u]);
    r->frac_dsp = r->use.dsp / d->plat->dsp;
    r->frac_bram = r->use.bram36 / d->plat->bram36;
    r->frac_uram = d->plat->uram > 0 ? r->use.uram / d->plat->uram : (r->use.uram > 0 ? 1e9 : 0);
    r->frac_lut = r->use.lut / d->plat->lut;
    r->frac_bw = r->img_per_s * r->bytes_per_image / (d->plat->mem_gbs * 1e9);
    r->feasible = runnable && r->frac_dsp <= db->budget && r->frac_bram <= db->budget &&
                  r->frac_uram <= db->budget && r->frac_lut <= db->budget &&
                  r->frac_bw <= db->budget &&
                  r->dram_bytes_in_flight <= d->plat->mem_capacity_gb * 1e9;
    return FNRT_OK;
}

void fnrt_sim_result_free(fnrt_sim_result *r)
{
    free(r->layers);
    r->layers = NULL;
}

/* ---- search ------------------------------------------------------------------------- */

static double max_frac(const fnrt_sim_result *r)
{
    double m = r->frac_dsp;
    if (r->frac_bram > m)
        m = r->frac_bram;
    if (r->frac_uram > m)
        m = r->frac_uram;
    if (r->frac_lut > m)
        m = r->frac_lut;
    return m;
}

/* CU counts for x img/s from one-CU unit times; 0 if some unit would need > 64 CUs. */
static int counts_for(const fnrt_sim_result *one, double x, int *n_cu)
{
    for (int u = 0; u < one->n_units; u++) {
        double n = ceil(x * one->units[u].time_s - 1e-9);
        if (n < 1)
            n = 1;
        if (n > 64)
            return 0;
        n_cu[u] = (int)n;
    }
    return 1;
}

int fnrt_sim_search(const fnrt_sim_db *db, const fnrt_graph *g, const fnrt_sim_platform *plat,
                    const fnrt_sim_prec *prec, double clock_mhz, int max_pix, const int *ps,
                    int n_ps, int mapping, double target, fnrt_sim_design *best_d,
                    fnrt_sim_result *best_r)
{
    static const int def_ps[] = {8, 16, 32, 64};
    int found = 0;
    double best_score = 0.0;
    if (n_ps <= 0) {
        ps = def_ps;
        n_ps = 4;
    }
    memset(best_r, 0, sizeof *best_r);
    for (int trial = 0; trial < 2 * n_ps; trial++) {
        const int pi = trial / 2, pooled = trial % 2;
        if (mapping >= 0 && pooled != mapping)
            continue;
        fnrt_sim_design d;
        fnrt_sim_result one, r;
        memset(&d, 0, sizeof d);
        d.plat = plat, d.prec = prec, d.clock_mhz = clock_mhz, d.p = ps[pi], d.max_pix = max_pix;
        d.pooled = pooled;
        if (fnrt_sim_eval(db, g, &d, &one) != FNRT_OK)
            continue;
        double x;
        if (target > 0) {
            x = target;
        } else { /* highest x whose CU counts fit the budget: bisection */
            double lo = 0.0, hi = one.img_per_s_memory;
            for (int it = 0; it < 60; it++) {
                double mid = 0.5 * (lo + hi);
                fnrt_sim_design t = d;
                if (!counts_for(&one, mid, t.n_cu)) {
                    hi = mid;
                    continue;
                }
                if (fnrt_sim_eval(db, g, &t, &r) == FNRT_OK && r.feasible)
                    lo = mid;
                else
                    hi = mid;
                fnrt_sim_result_free(&r);
            }
            x = lo;
        }
        if (x <= 0 || !counts_for(&one, x, d.n_cu)) {
            fnrt_sim_result_free(&one);
            continue;
        }
        fnrt_sim_result_free(&one);
        if (fnrt_sim_eval(db, g, &d, &r) != FNRT_OK)
            continue;
        int ok = r.feasible && (target <= 0 || r.img_per_s >= target * (1 - 1e-9));
        /* target: smallest largest-resource fraction; otherwise: highest throughput */
        double score = target > 0 ? -max_frac(&r) : r.img_per_s;
        if (ok && (!found || score > best_score)) {
            if (found)
                fnrt_sim_result_free(best_r);
            *best_d = d;
            *best_r = r;
            best_score = score;
            found = 1;
        } else {
            fnrt_sim_result_free(&r);
        }
    }
    return found ? 0 : -1;
}

/* ---- published design points -------------------------------------------------------- */

double fnrt_sim_validate_point(const fnrt_sim_db *db, const fnrt_sim_validation *v,
                               double *dsp_arrays, double *dsp_total)
{
    const fnrt_sim_prec *pr = fnrt_sim_find_prec(db, v->precision);
    if (!pr)
        return -1.0;
    int ho = (v->h + 2 * v->pad - v->k) / v->stride + 1, wo = (v->w + 2 * v->pad - v->k) / v->stride + 1;
    int tr = v->max_pix / wo > ho ? ho : v->max_pix / wo;
    int lb = fnrt_hls_band_in_rows(tr, v->k, v->stride, 0) * v->w * fnrt_hls_ceil_div(v->ci, v->p);
    fnrt_hls_conv_cycles cc;
    if (fnrt_hls_conv_cycles_eval(v->ci, v->h, v->w, v->co, v->k, v->k, v->stride, v->pad, 0, v->p,
                                  pr->wt_bits, v->max_pix, lb, pr->loop_depth, 1.0, 1.0, &cc) != 0)
        return -1.0;
    double macs = (double)v->ci * v->co * ho * wo * v->k * v->k;
    double per_cu = 2.0 * macs / ((double)cc.total / (v->clock_mhz * 1e6));
    if (dsp_arrays)
        *dsp_arrays = (double)v->cus * v->p * v->p * pr->dsp_per_mac;
    if (dsp_total)
        *dsp_total = (double)v->cus * ((double)v->p * v->p * pr->dsp_per_mac +
                                       v->p * pr->post_dsp_per_lane + db->k.engine_dsp);
    return per_cu * v->cus * 1e-9;
}
