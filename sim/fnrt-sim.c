/* fnrt-sim: the co-design model of the fnrt FPGA dataflow design (sim/README.md).
 *
 *   fnrt-sim ops      -m MODEL                 per-stage MACs: model vs runtime
 *   fnrt-sim design   -m MODEL [options]       one design: per layer, unit, stage
 *   fnrt-sim sweep    -m MODEL [options]       sweep precision x clock x tile x P -> CSV, SVG
 *   fnrt-sim validate                          the published design points
 *   fnrt-sim targets  -m MODEL                 the target design points of platforms.json
 * options: --db FILE (default sim/platforms.json), --platform NAME, --prec LIST, --clock LIST
 *   (MHz), --tile LIST (accumulator pixels), --p LIST (lanes), --target IMG_PER_S,
 *   --csv FILE, --svg FILE, --layers FILE (per-layer CSV of `design`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "fnrt-sim-model.h"

#ifndef FNRT_SIM_DB
#define FNRT_SIM_DB "sim/platforms.json"
#endif

#define MAX_LIST 16

typedef struct opts {
    const char *cmd, *model, *db, *platform, *csv, *svg, *layers;
    char prec[MAX_LIST][16];
    int n_prec;
    double clock[MAX_LIST];
    int n_clock;
    int tile[MAX_LIST], n_tile;
    int p[MAX_LIST], n_p;
    double target;
    int mapping; /* -1 best of both, 0 stage, 1 pooled */
} opts;

static int usage(void)
{
    fprintf(stderr,
            "usage: fnrt-sim ops|design|sweep|validate|targets [-m MODEL] [--db FILE]\n"
            "  [--platform u250] [--prec fp32,int16,int8] [--clock 250,300] [--tile 2048]\n"
            "  [--p 8,16,32,64] [--mapping stage|pooled|best] [--target IMG_PER_S] [--csv FILE]\n"
            "  [--svg FILE] [--layers FILE]\n");
    return 2;
}

static int split(const char *s, char out[][16], int max)
{
    int n = 0;
    const char *p = s;
    while (*p && n < max) {
        size_t l = strcspn(p, ",");
        if (l == 0 || l >= 16)
            return -1;
        memcpy(out[n], p, l);
        out[n][l] = 0;
        n++;
        p += l;
        if (*p == ',')
            p++;
    }
    return n;
}

static int parse_nums(const char *s, double *v, int max)
{
    char tmp[MAX_LIST][16];
    int n = split(s, tmp, max);
    for (int i = 0; i < n; i++) {
        char *end;
        v[i] = strtod(tmp[i], &end);
        if (*end || !(v[i] > 0))
            return -1;
    }
    return n;
}

static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->db = getenv("FNRT_SIM_DB") ? getenv("FNRT_SIM_DB") : FNRT_SIM_DB;
    o->platform = "u250";
    o->mapping = -1;
    if (argc < 2)
        return -1;
    o->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double tmp[MAX_LIST];
        int n;
        if (!v)
            return -1;
        i++;
        if (!strcmp(a, "-m") || !strcmp(a, "--model"))
            o->model = v;
        else if (!strcmp(a, "--db"))
            o->db = v;
        else if (!strcmp(a, "--platform"))
            o->platform = v;
        else if (!strcmp(a, "--csv"))
            o->csv = v;
        else if (!strcmp(a, "--svg"))
            o->svg = v;
        else if (!strcmp(a, "--layers"))
            o->layers = v;
        else if (!strcmp(a, "--mapping")) {
            if (!strcmp(v, "stage"))
                o->mapping = 0;
            else if (!strcmp(v, "pooled"))
                o->mapping = 1;
            else if (!strcmp(v, "best"))
                o->mapping = -1;
            else
                return -1;
        }
        else if (!strcmp(a, "--prec")) {
            if ((o->n_prec = split(v, o->prec, MAX_LIST)) <= 0)
                return -1;
        } else if (!strcmp(a, "--clock")) {
            if ((o->n_clock = parse_nums(v, o->clock, MAX_LIST)) <= 0)
                return -1;
        } else if (!strcmp(a, "--tile") || !strcmp(a, "--p")) {
            if ((n = parse_nums(v, tmp, MAX_LIST)) <= 0)
                return -1;
            int *dst = a[2] == 't' ? o->tile : o->p;
            for (int k = 0; k < n; k++)
                dst[k] = (int)tmp[k];
            if (a[2] == 't')
                o->n_tile = n;
            else
                o->n_p = n;
        } else if (!strcmp(a, "--target")) {
            char *end;
            o->target = strtod(v, &end);
            if (*end || !(o->target > 0))
                return -1;
        } else
            return -1;
    }
    return 0;
}

static const char *unit_label(const fnrt_sim_result *r, int u)
{
    return u < 0 ? "memory bandwidth" : r->units[u].name;
}

static void print_result(const fnrt_graph *g, const fnrt_sim_design *d, const fnrt_sim_result *r)
{
    printf("design: %s (%s), %s, %.0f MHz, P = %d (%d x %d MAC array per engine CU), "
           "tile %d pixels, line buffer %d words, row buffer %d values, %s mapping\n",
           d->plat->name, d->plat->xpfm, d->prec->name, d->clock_mhz, d->p, d->p, d->p,
           d->max_pix, r->lb_words, r->max_wc,
           d->pooled ? "pooled (engine CUs shared by the stages)" : "stage (CUs per stage)");
    printf("%-20s %4s %9s %12s %4s %9s\n", "unit", "ops", "GMAC", "ms/img/CU", "CUs", "img/s");
    for (int u = 0; u < r->n_units; u++)
        printf("%-20s %4d %9.3f %12.3f %4d %9.1f%s\n", r->units[u].name, r->units[u].n_ops,
               r->units[u].macs * 1e-9, r->units[u].time_s * 1e3, d->n_cu[u],
               d->n_cu[u] / r->units[u].time_s, u == r->bottleneck ? "  <- bottleneck" : "");
    printf("%-10s %9s %14s %12s\n", "stage", "GMAC", "ms (1 CU each)", "MB/img");
    for (int s = 0; s < r->n_stages; s++)
        printf("%-10s %9.3f %14.3f %12.2f\n", g->stages[s].name, r->stage_macs[s] * 1e-9,
               r->stage_time_s[s] * 1e3, r->stage_bytes[s] * 1e-6);
    printf("throughput: %.1f img/s (compute %.1f, memory %.1f), bottleneck: %s, latency %.2f ms\n",
           r->img_per_s, r->img_per_s_compute, r->img_per_s_memory,
           unit_label(r, r->bottleneck), r->latency_s * 1e3);
    if (r->bottleneck_stage >= 0)
        printf("bottleneck stage: %s (largest share of %s's time)\n",
               g->stages[r->bottleneck_stage].name, r->units[r->bottleneck].name);
    printf("effective: %.0f GOP/s (2 x %.2f GMAC/img)\n", 2.0 * r->macs * r->img_per_s * 1e-9,
           r->macs * 1e-9);
    printf("resources: DSP %.0f (%.1f%%), BRAM36 %.0f (%.1f%%), URAM %.0f (%.1f%%), "
           "LUT %.0fK (%.1f%%), bandwidth %.1f GB/s (%.1f%%): %s\n",
           r->use.dsp, 100 * r->frac_dsp, r->use.bram36, 100 * r->frac_bram, r->use.uram,
           100 * r->frac_uram, r->use.lut * 1e-3, 100 * r->frac_lut,
           r->img_per_s * r->bytes_per_image * 1e-9, 100 * r->frac_bw,
           r->feasible ? "fits" : "does NOT fit");
    printf("off-chip traffic: %.1f MB/img (weights %.1f, U-Net skips %.1f); weights at %s: "
           "%.1f MB vs %.1f MB on-chip RAM -> %s; DRAM in use %.2f GB of %.0f\n",
           r->bytes_per_image * 1e-6, r->weight_bytes_per_image * 1e-6,
           r->skip_bytes_per_image * 1e-6, d->prec->name, r->weight_bytes_total * 1e-6,
           r->onchip_bytes * 1e-6,
           r->weight_bytes_total > r->onchip_bytes ? "weights stream from DRAM"
                                                   : "would fit on chip",
           r->dram_bytes_in_flight * 1e-9, d->plat->mem_capacity_gb);
    printf("HLS: -DFNRT_HLS_PREC=%d -DFNRT_HLS_P=%d -DFNRT_HLS_MAX_PIX=%d -DFNRT_HLS_LB_WORDS=%d "
           "-DFNRT_HLS_MAX_WC=%d\n",
           d->prec->hls_prec, d->p, d->max_pix, r->lb_words, r->max_wc);
    int n_conv = 0, n_deconv = 0;
    for (int u = 0; u < r->n_units; u++) {
        if (r->units[u].kernel == FNRT_SIM_K_CONV2D)
            n_conv += d->n_cu[u];
        if (r->units[u].kernel == FNRT_SIM_K_DECONV2D)
            n_deconv += d->n_cu[u];
    }
    printf("v++: nk=fnrt_conv2d:%d nk=fnrt_deconv2d:%d\n", n_conv, n_deconv);
}

static int write_layers(const char *path, const fnrt_graph *g, const fnrt_sim_result *r)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "fnrt-sim: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "op,name,stage,unit,kernel,ci,h,w,co,ho,wo,k,stride,macs,tile_rows,bands,"
               "im2col,cycles,cycles_load,cycles_mac,cycles_useful,cycles_overhead,util,bound,time_us,"
               "bytes_weights,bytes_act_in,bytes_act_out,bytes_skip\n");
    for (int i = 0; i < r->n_layers; i++) {
        const fnrt_sim_layer *L = &r->layers[i];
        const fnrt_op *op = &g->ops[L->op];
        const fnrt_shape *x = &op->in_shape[0], *y = &op->out_shape;
        int isconv = op->type == FNRT_OP_CONV2D || op->type == FNRT_OP_DECONV2D;
        fprintf(f, "%d,%s,%s,%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%d,%d,%.0f,%d,%d,%d,%.0f,%.0f,%.0f,"
                   "%.0f,%.0f,%.4f,%s,%.2f,%.0f,%.0f,%.0f,%.0f\n",
                L->op, op->name, g->stages[L->stage].name, r->units[L->unit].name,
                fnrt_sim_kernel_name(L->kernel), (long long)x->dims[0], (long long)x->dims[1],
                (long long)x->dims[2], (long long)y->dims[0],
                (long long)(y->ndim == 3 ? y->dims[1] : 0), (long long)(y->ndim == 3 ? y->dims[2] : 0),
                isconv ? op->p.conv.kh : 0, isconv ? op->p.conv.stride : 0, L->macs, L->tile_rows,
                L->n_bands, L->im2col, L->cycles, L->cycles_load, L->cycles_mac, L->cycles_useful,
                L->cycles_overhead, L->util, L->bound, L->time_s * 1e6, L->bytes_weights,
                L->bytes_act_in, L->bytes_act_out, L->bytes_skip);
    }
    fclose(f);
    return 0;
}

static int load(const opts *o, fnrt_sim_db *db, fnrt_model **m)
{
    if (fnrt_sim_db_load(o->db, db) != FNRT_OK) {
        fprintf(stderr, "fnrt-sim: %s\n", fnrt_last_error());
        return -1;
    }
    if (!m)
        return 0;
    if (!o->model) {
        fprintf(stderr, "fnrt-sim: %s needs -m MODEL\n", o->cmd);
        return -1;
    }
    if (fnrt_model_load(o->model, m) != FNRT_OK) {
        fprintf(stderr, "fnrt-sim: %s\n", fnrt_last_error());
        return -1;
    }
    return 0;
}

static int cmd_ops(const opts *o)
{
    fnrt_sim_db db;
    fnrt_model *m = NULL;
    if (load(o, &db, &m) < 0)
        return 3;
    const fnrt_graph *g = &m->graph;
    int bad = 0;
    double tot = 0.0;
    printf("%-10s %5s %18s %18s\n", "stage", "ops", "MACs (model)", "MACs (runtime)");
    for (int s = 0; s < g->n_stages; s++) {
        const char *name;
        double gflop;
        uint64_t n_ops;
        fnrt_model_stage_info(m, s, &name, &gflop, &n_ops);
        double sim = 0.0;
        for (int i = g->stages[s].first_op; i < g->stages[s].first_op + g->stages[s].n_ops; i++)
            sim += fnrt_sim_op_macs(&g->ops[i]);
        double rt = gflop * 0.5e9;
        bad += fabs(sim - rt) > 1e-9 * rt + 0.5;
        tot += sim;
        printf("%-10s %5llu %18.0f %18.0f%s\n", name, (unsigned long long)n_ops, sim, rt,
               fabs(sim - rt) > 1e-9 * rt + 0.5 ? "  MISMATCH" : "");
    }
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    printf("%-10s %5llu %18.0f %18.0f\n", "total", (unsigned long long)info.n_ops, tot,
           info.gflop * 0.5e9);
    bad += fabs(tot - info.gflop * 0.5e9) > 1e-9 * tot + 0.5;
    fnrt_model_free(m);
    return bad ? 1 : 0;
}

static int cmd_design(const opts *o)
{
    fnrt_sim_db db;
    fnrt_model *m = NULL;
    if (load(o, &db, &m) < 0)
        return 3;
    const fnrt_sim_platform *plat = fnrt_sim_find_platform(&db, o->platform);
    const fnrt_sim_prec *prec = fnrt_sim_find_prec(&db, o->n_prec ? o->prec[0] : "int8");
    if (!plat || !prec) {
        fprintf(stderr, "fnrt-sim: unknown platform or precision\n");
        fnrt_model_free(m);
        return 2;
    }
    fnrt_sim_design d;
    fnrt_sim_result r;
    double clock = o->n_clock ? o->clock[0] : plat->clock_mhz;
    int tile = o->n_tile ? o->tile[0] : 2048;
    int rc = fnrt_sim_search(&db, &m->graph, plat, prec, clock, tile, o->p, o->n_p, o->mapping,
                             o->target, &d, &r);
    if (rc != 0) {
        printf("no feasible design for %s %s at %.0f MHz%s\n", plat->name, prec->name, clock,
               o->target > 0 ? " reaching the target" : "");
        fnrt_model_free(m);
        return 1;
    }
    print_result(&m->graph, &d, &r);
    if (o->layers && write_layers(o->layers, &m->graph, &r) < 0)
        rc = 1;
    fnrt_sim_result_free(&r);
    fnrt_model_free(m);
    return rc;
}

/* ---- sweep: CSV and an SVG plot of img/s against P ------------------------------------ */

typedef struct point {
    int prec, clock, tile, p;
    double img_s;
    int feasible;
} point;

static void svg_plot(const char *path, const opts *o, const point *pts, int n,
                     const fnrt_sim_db *db, const char *platform)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "fnrt-sim: cannot write %s\n", path);
        return;
    }
    const double W = 720, H = 460, L = 70, R = 170, T = 40, B = 60;
    double ymin = 1e30, ymax = 0;
    int pmin = 1 << 30, pmax = 0;
    for (int i = 0; i < n; i++) {
        if (!(pts[i].img_s > 0))
            continue;
        ymin = fmin(ymin, pts[i].img_s);
        ymax = fmax(ymax, pts[i].img_s);
        pmin = pts[i].p < pmin ? pts[i].p : pmin;
        pmax = pts[i].p > pmax ? pts[i].p : pmax;
    }
    for (int t = 0; t < db->n_tgt; t++)
        if (!strcmp(db->tgt[t].platform, platform))
            ymin = fmin(ymin, db->tgt[t].img_per_s), ymax = fmax(ymax, db->tgt[t].img_per_s);
    if (ymax <= 0) {
        ymin = 1, ymax = 10;
        pmin = 8, pmax = 64;
    }
    double ly0 = floor(log10(ymin)), ly1 = ceil(log10(ymax));
    if (ly1 <= ly0)
        ly1 = ly0 + 1;
    double lx0 = log2((double)pmin), lx1 = log2((double)pmax);
    if (lx1 <= lx0)
        lx1 = lx0 + 1;
#define XP(p) (L + (log2((double)(p)) - lx0) / (lx1 - lx0) * (W - L - R))
#define YP(v) (H - B - (log10(v) - ly0) / (ly1 - ly0) * (H - T - B))
    static const char *col[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"%.0f\" y=\"22\" font-size=\"14\">FNR2R on %s: best feasible design "
               "(&lt;= %.0f%% of every resource) per lane count P</text>\n",
            L, platform, 100 * db->budget);
    for (double e = ly0; e <= ly1 + 1e-9; e++) {
        double y = YP(pow(10, e));
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                L, y, W - R, y, L - 6, y + 4, pow(10, e));
    }
    for (int p = pmin; p <= pmax; p *= 2) {
        double x = XP(p);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%d</text>\n",
                x, T, x, H - B, x, H - B + 16, p);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">lanes P (engine = P x P MACs)"
               "</text>\n", (L + W - R) / 2, H - 18);
    fprintf(f, "<text transform=\"translate(18,%.0f) rotate(-90)\" text-anchor=\"middle\">"
               "images/s (log)</text>\n", (T + H - B) / 2);
    int series = 0;
    for (int pr = 0; pr < o->n_prec; pr++)
        for (int ck = 0; ck < o->n_clock; ck++) {
            const char *c = col[series % 6];
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", c,
                    ck ? " stroke-dasharray=\"5,3\"" : "");
            for (int i = 0; i < n; i++) /* best over tiles for each P */
                if (pts[i].prec == pr && pts[i].clock == ck && pts[i].img_s > 0) {
                    double best = 0;
                    for (int j = 0; j < n; j++)
                        if (pts[j].prec == pr && pts[j].clock == ck && pts[j].p == pts[i].p)
                            best = fmax(best, pts[j].img_s);
                    if (best == pts[i].img_s)
                        fprintf(f, "%.1f,%.1f ", XP(pts[i].p), YP(best));
                }
            fprintf(f, "\"/>\n");
            for (int i = 0; i < n; i++)
                if (pts[i].prec == pr && pts[i].clock == ck && pts[i].img_s > 0)
                    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                            XP(pts[i].p), YP(pts[i].img_s), c);
            double ly = T + 20 + 18 * series;
            fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
                       "stroke-width=\"2\"%s/><text x=\"%.0f\" y=\"%.0f\">%s %.0f MHz</text>\n",
                    W - R + 10, ly, W - R + 34, ly, c, ck ? " stroke-dasharray=\"5,3\"" : "",
                    W - R + 40, ly + 4, o->prec[pr], o->clock[ck]);
            for (int t = 0; t < db->n_tgt; t++)
                if (ck == 0 && !strcmp(db->tgt[t].platform, platform) &&
                    !strcmp(db->tgt[t].precision, o->prec[pr])) {
                    double y = YP(db->tgt[t].img_per_s);
                    fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%s\" "
                               "stroke-dasharray=\"2,4\"/><text x=\"%.0f\" y=\"%.1f\" fill=\"%s\">"
                               "target %s %g</text>\n",
                            L, y, W - R, y, c, W - R + 10, y + 4, c, o->prec[pr],
                            db->tgt[t].img_per_s);
                }
            series++;
        }
#undef XP
#undef YP
    fprintf(f, "</svg>\n");
    fclose(f);
}

static int cmd_sweep(opts *o)
{
    fnrt_sim_db db;
    fnrt_model *m = NULL;
    if (load(o, &db, &m) < 0)
        return 3;
    const fnrt_sim_platform *plat = fnrt_sim_find_platform(&db, o->platform);
    if (!plat) {
        fprintf(stderr, "fnrt-sim: unknown platform %s\n", o->platform);
        fnrt_model_free(m);
        return 2;
    }
    if (!o->n_prec) {
        o->n_prec = db.n_prec;
        for (int i = 0; i < db.n_prec; i++)
            snprintf(o->prec[i], sizeof o->prec[i], "%s", db.prec[i].name);
    }
    if (!o->n_clock)
        o->n_clock = 2, o->clock[0] = plat->clock_mhz, o->clock[1] = 250;
    if (!o->n_tile)
        o->n_tile = 3, o->tile[0] = 1024, o->tile[1] = 2048, o->tile[2] = 4096;
    if (!o->n_p)
        o->n_p = 4, o->p[0] = 8, o->p[1] = 16, o->p[2] = 32, o->p[3] = 64;
    FILE *f = o->csv ? fopen(o->csv, "w") : stdout;
    if (!f) {
        fprintf(stderr, "fnrt-sim: cannot write %s\n", o->csv);
        fnrt_model_free(m);
        return 1;
    }
    fprintf(f, "platform,precision,clock_mhz,tile_pixels,p,feasible,img_per_s,img_per_s_compute,"
               "img_per_s_memory,bottleneck,bottleneck_stage,latency_ms,dsp,dsp_pct,bram36,bram_pct,uram,uram_pct,"
               "lut,lut_pct,bw_gbs,bw_pct,mb_per_img,weight_mb_per_img,skip_mb_per_img,cus\n");
    point *pts = calloc((size_t)o->n_prec * o->n_clock * o->n_tile * o->n_p, sizeof *pts);
    int n = 0;
    for (int pr = 0; pr < o->n_prec; pr++) {
        const fnrt_sim_prec *prec = fnrt_sim_find_prec(&db, o->prec[pr]);
        if (!prec) {
            fprintf(stderr, "fnrt-sim: unknown precision %s\n", o->prec[pr]);
            continue;
        }
        for (int ck = 0; ck < o->n_clock; ck++)
            for (int t = 0; t < o->n_tile; t++)
                for (int pi = 0; pi < o->n_p; pi++) {
                    fnrt_sim_design d;
                    fnrt_sim_result r;
                    point *pt = &pts[n++];
                    pt->prec = pr, pt->clock = ck, pt->tile = t, pt->p = o->p[pi];
                    if (fnrt_sim_search(&db, &m->graph, plat, prec, o->clock[ck], o->tile[t],
                                        &o->p[pi], 1, o->mapping, o->target, &d, &r) != 0) {
                        fprintf(f, "%s,%s,%.0f,%d,%d,0,,,,,,,,,,,,,,,,,,,,\n", plat->name,
                                prec->name, o->clock[ck], o->tile[t], o->p[pi]);
                        continue;
                    }
                    pt->img_s = r.img_per_s;
                    pt->feasible = r.feasible;
                    int cus = 0;
                    for (int u = 0; u < r.n_units; u++)
                        cus += d.n_cu[u];
                    fprintf(f, "%s,%s,%.0f,%d,%d,%d,%.2f,%.2f,%.2f,%s,%s,%.3f,%.0f,%.1f,%.0f,%.1f,"
                               "%.0f,%.1f,%.0f,%.1f,%.2f,%.1f,%.2f,%.2f,%.2f,%d\n",
                            plat->name, prec->name, o->clock[ck], o->tile[t], o->p[pi],
                            r.feasible, r.img_per_s, r.img_per_s_compute, r.img_per_s_memory,
                            unit_label(&r, r.bottleneck),
                            r.bottleneck_stage >= 0 ? m->graph.stages[r.bottleneck_stage].name : "",
                            r.latency_s * 1e3, r.use.dsp,
                            100 * r.frac_dsp, r.use.bram36, 100 * r.frac_bram, r.use.uram,
                            100 * r.frac_uram, r.use.lut, 100 * r.frac_lut,
                            r.img_per_s * r.bytes_per_image * 1e-9, 100 * r.frac_bw,
                            r.bytes_per_image * 1e-6, r.weight_bytes_per_image * 1e-6,
                            r.skip_bytes_per_image * 1e-6, cus);
                    fnrt_sim_result_free(&r);
                }
    }
    if (o->csv)
        fclose(f);
    if (o->svg)
        svg_plot(o->svg, o, pts, n, &db, plat->name);
    free(pts);
    fnrt_model_free(m);
    return 0;
}

static int cmd_validate(const opts *o)
{
    fnrt_sim_db db;
    if (load(o, &db, NULL) < 0)
        return 3;
    int bad = 0;
    for (int i = 0; i < db.n_val; i++) {
        const fnrt_sim_validation *v = &db.val[i];
        double dsp_a, dsp_t;
        double g = fnrt_sim_validate_point(&db, v, &dsp_a, &dsp_t);
        double err = (g - v->reported_gops) / v->reported_gops;
        printf("%-28s %d x %dx%d %s @ %.0f MHz: predicted %.1f GOP/s, reported %.1f, error "
               "%+.1f%%; DSP arrays %.0f (+ overhead %.0f), reported %.0f\n",
               v->name, v->cus, v->p, v->p, v->precision, v->clock_mhz, g, v->reported_gops,
               100 * err, dsp_a, dsp_t - dsp_a, v->reported_dsp);
        bad += !(fabs(err) <= 0.15);
    }
    return bad ? 1 : 0;
}

static int cmd_targets(const opts *o)
{
    fnrt_sim_db db;
    fnrt_model *m = NULL;
    if (load(o, &db, &m) < 0)
        return 3;
    int bad = 0;
    for (int t = 0; t < db.n_tgt; t++) {
        const fnrt_sim_target *tg = &db.tgt[t];
        const fnrt_sim_platform *plat = fnrt_sim_find_platform(&db, tg->platform);
        const fnrt_sim_prec *prec = fnrt_sim_find_prec(&db, tg->precision);
        fnrt_sim_design d;
        fnrt_sim_result r;
        if (!plat || !prec) {
            bad++;
            continue;
        }
        int tile = o->n_tile ? o->tile[0] : 2048;
        printf("== target: %s %s >= %g img/s\n", plat->name, prec->name, tg->img_per_s);
        if (fnrt_sim_search(&db, &m->graph, plat, prec, plat->clock_mhz, tile, o->p, o->n_p,
                            o->mapping, tg->img_per_s, &d, &r) != 0) {
            printf("NOT FEASIBLE\n");
            bad++;
            continue;
        }
        print_result(&m->graph, &d, &r);
        fnrt_sim_design dm;
        fnrt_sim_result rm;
        if (fnrt_sim_search(&db, &m->graph, plat, prec, plat->clock_mhz, tile, o->p, o->n_p,
                            o->mapping, 0, &dm, &rm) == 0) {
            printf("(the largest feasible design of this precision reaches %.1f img/s)\n",
                   rm.img_per_s);
            fnrt_sim_result_free(&rm);
        }
        fnrt_sim_result_free(&r);
    }
    fnrt_model_free(m);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) < 0)
        return usage();
    if (!strcmp(o.cmd, "ops"))
        return cmd_ops(&o);
    if (!strcmp(o.cmd, "design"))
        return cmd_design(&o);
    if (!strcmp(o.cmd, "sweep"))
        return cmd_sweep(&o);
    if (!strcmp(o.cmd, "validate"))
        return cmd_validate(&o);
    if (!strcmp(o.cmd, "targets"))
        return cmd_targets(&o);
    return usage();
}
