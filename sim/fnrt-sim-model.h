/* fnrt co-design model: how the HLS dataflow design (hls/) runs a model's graph on an Alveo
 * card.  The graph is the runtime's own (fnrt_model_load + host/src/core/graph.h), so the
 * op counts are by construction those the runtime executes; cycle counts of the conv
 * engine come from the same formula the HLS C-simulation is checked against
 * (fnrt_hls_conv_cycles_eval in hls/common/fnrt-hls-layout.h).
 *
 * Hardware organisation modelled (see sim/README.md):
 *   units     per (stage, engine kernel) for conv2d/deconv2d ("stage" mapping) or one per
 *             engine kernel shared by all stages ("pooled" mapping), one shared unit per
 *             small kernel (maxpool, upsample2x, gray, l2norm, global_avgpool, modulate,
 *             merge = add/maxmerge) and
 *             one for concat copies; a unit has n compute units (CUs, v++ nk=) that work on
 *             different images (or ops), so its throughput is n / (its time per image);
 *   pipeline  all units work concurrently on different images (tensors between ops, weights
 *             and U-Net skip tensors live in DDR/HBM); throughput = min over units and over
 *             the memory bandwidth; the slowest unit is the bottleneck;
 *   resources per CU: MAC array P x P x (DSP per MAC), post-processing lanes, line buffer
 *             (URAM), accumulator (BRAM, P banks), fixed costs; glue CUs (mm2s/s2mm) with
 *             ping-pong row buffers. */
#ifndef FNRT_SIM_MODEL_H
#define FNRT_SIM_MODEL_H

#include "core/graph.h"
#include "fnrt/fnrt-status.h"

#define FNRT_SIM_MAX_PLAT 8
#define FNRT_SIM_MAX_PREC 4
#define FNRT_SIM_MAX_VAL 4
#define FNRT_SIM_MAX_UNITS 24

typedef struct fnrt_sim_platform {
    char name[32], xpfm[96], memory[16];
    double dsp, bram36, uram, lut;
    double mem_gbs, port_gbs, mem_capacity_gb, clock_mhz;
    int banks;
} fnrt_sim_platform;

typedef struct fnrt_sim_prec {
    char name[16];
    int hls_prec, act_bits, wt_bits, acc_bits, loop_depth;
    double dsp_per_mac, lut_per_mac, post_dsp_per_lane, post_lut_per_lane;
} fnrt_sim_prec;

typedef struct fnrt_sim_kernels {
    double engine_lut, engine_dsp, engine_bram;
    double small_lut, small_dsp, small_bram;
    double glue_lut, glue_bram;
    double launch_us, mem_efficiency;
} fnrt_sim_kernels;

typedef struct fnrt_sim_validation {
    char name[64], precision[16];
    double reported_gops, reported_dsp, clock_mhz;
    int cus, p, max_pix;
    int ci, co, h, w, k, stride, pad;
} fnrt_sim_validation;

typedef struct fnrt_sim_target {
    char platform[32], precision[16];
    double img_per_s;
} fnrt_sim_target;

typedef struct fnrt_sim_db {
    fnrt_sim_platform plat[FNRT_SIM_MAX_PLAT];
    int n_plat;
    fnrt_sim_prec prec[FNRT_SIM_MAX_PREC];
    int n_prec;
    fnrt_sim_kernels k;
    double budget;
    fnrt_sim_validation val[FNRT_SIM_MAX_VAL];
    int n_val;
    fnrt_sim_target tgt[FNRT_SIM_MAX_VAL];
    int n_tgt;
} fnrt_sim_db;

/* Reads sim/platforms.json (jansson); every field is checked. */
fnrt_status fnrt_sim_db_load(const char *path, fnrt_sim_db *db);
const fnrt_sim_platform *fnrt_sim_find_platform(const fnrt_sim_db *db, const char *name);
const fnrt_sim_prec *fnrt_sim_find_prec(const fnrt_sim_db *db, const char *name);

/* Design parameters: one per xclbin. */
typedef struct fnrt_sim_design {
    const fnrt_sim_platform *plat;
    const fnrt_sim_prec *prec;
    double clock_mhz;
    int p;        /* lanes; engine MAC array P x P */
    int max_pix;  /* conv accumulator depth = band (tile) size in pixels */
    int lb_words; /* conv line buffer, words of P lanes (0 = size for the graph) */
    int max_wc;   /* glue row buffer, values (0 = size for the graph) */
    int pooled;   /* 0: engine CUs dedicated per stage (stage pipeline); 1: one pool of
                     engine CUs per kernel shared by all stages (the host dispatches any
                     conv op to any free CU) */
    int n_cu[FNRT_SIM_MAX_UNITS];
} fnrt_sim_design;

typedef enum fnrt_sim_kernel {
    FNRT_SIM_K_CONV2D = 0,
    FNRT_SIM_K_DECONV2D,
    FNRT_SIM_K_MAXPOOL,
    FNRT_SIM_K_UPSAMPLE2X,
    FNRT_SIM_K_GRAY,
    FNRT_SIM_K_L2NORM,
    FNRT_SIM_K_GAP,
    FNRT_SIM_K_MODULATE,
    FNRT_SIM_K_CONCAT,
    FNRT_SIM_K_MERGE, /* fnrt_add, fnrt_maxmerge (cross-modal network) */
    FNRT_SIM_K_ELTWISE, /* any other streaming op (one unit per op type) */
    FNRT_SIM_K_COUNT
} fnrt_sim_kernel;

/* Per-op result (one CU, one image). */
typedef struct fnrt_sim_layer {
    int op;           /* index in the graph */
    int stage, unit;
    fnrt_sim_kernel kernel;
    double macs;      /* counted from the engine's loop nest */
    double cycles, cycles_load, cycles_mac, cycles_useful, cycles_overhead;
    double bytes_weights, bytes_act_in, bytes_act_out, bytes_skip;
    double time_s;    /* cycles / clock + launch */
    double util;      /* MACs / (cycles x P x P) for engine ops */
    int tile_rows, n_bands;
    int im2col;       /* run as a 1 x 1 conv over fnrt_mm2s's im2col expansion */
    const char *bound;
} fnrt_sim_layer;

typedef struct fnrt_sim_unit {
    char name[48];
    fnrt_sim_kernel kernel;
    int stage;        /* -1 for shared units */
    int n_streams;    /* stream ports of the kernel (inputs + output), for its glue */
    double time_s;    /* per image on one CU */
    double macs;
    int n_ops;
} fnrt_sim_unit;

typedef struct fnrt_sim_resources {
    double dsp, bram36, uram, lut;
} fnrt_sim_resources;

typedef struct fnrt_sim_result {
    int n_layers;
    fnrt_sim_layer *layers; /* n_ops of the graph */
    int n_units;
    fnrt_sim_unit units[FNRT_SIM_MAX_UNITS];
    int n_stages;
    double stage_macs[FNRT_MAX_STAGES], stage_time_s[FNRT_MAX_STAGES];
    double stage_bytes[FNRT_MAX_STAGES];
    double macs, bytes_per_image, weight_bytes_per_image, skip_bytes_per_image;
    double weight_bytes_total;   /* the model's weights at the design's precision */
    double onchip_bytes;         /* BRAM + URAM capacity of the platform */
    double dram_bytes_in_flight; /* weights + activation buffers of the images in flight */
    double img_per_s, img_per_s_compute, img_per_s_memory, latency_s;
    int bottleneck;              /* unit index, -1 = memory bandwidth */
    int bottleneck_stage;        /* stage with the largest share of the bottleneck unit */
    fnrt_sim_resources use;      /* absolute */
    double frac_dsp, frac_bram, frac_uram, frac_lut, frac_bw;
    int feasible;                /* every fraction <= budget and every layer runs */
    int lb_words, max_wc;
} fnrt_sim_result;

/* Evaluates a design on a graph.  n_cu[] of units not present are ignored; a unit whose
 * n_cu is 0 gets 1. */
fnrt_status fnrt_sim_eval(const fnrt_sim_db *db, const fnrt_graph *g, fnrt_sim_design *d,
                          fnrt_sim_result *r);
void fnrt_sim_result_free(fnrt_sim_result *r);

/* 1 if the host runs this conv through the im2col glue (thin input, see fnrt-sim-model.c). */
int fnrt_sim_use_im2col(const fnrt_op *op, int p);

/* MACs of one op as the engine's loop nest counts them (0 for data movement). */
double fnrt_sim_op_macs(const fnrt_op *op);

/* Design search at fixed precision, clock and tile: for each P in ps (n_ps values, or the
 * default set when n_ps = 0) and each mapping (mapping < 0: both; else 0 stage, 1 pooled)
 * the CU counts that reach the highest throughput within the
 * budget (target <= 0) or the smallest design that reaches target img/s; the best over P
 * is returned in d/r (r must be freed).  Returns 0 if a feasible design was found. */
int fnrt_sim_search(const fnrt_sim_db *db, const fnrt_graph *g, const fnrt_sim_platform *plat,
                    const fnrt_sim_prec *prec, double clock_mhz, int max_pix, const int *ps,
                    int n_ps, int mapping, double target, fnrt_sim_design *d,
                    fnrt_sim_result *r);

/* The published design points: predicted GOP/s of a configuration (CUs of P x P engines on
 * one conv layer).  dsp receives the model's DSP count for the arrays. */
double fnrt_sim_validate_point(const fnrt_sim_db *db, const fnrt_sim_validation *v,
                               double *dsp_arrays, double *dsp_total);

const char *fnrt_sim_kernel_name(fnrt_sim_kernel k);

/* BRAM36 blocks for one memory bank of width x depth bits, URAM blocks likewise. */
double fnrt_sim_bram36(int width_bits, long long depth);
double fnrt_sim_uram(int width_bits, long long depth);

#endif
